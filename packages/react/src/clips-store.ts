import type { ClipDto, PublicClipDto, ReplayNotification, ShareTarget } from '@livekit-replay/core/contract';
import type { ReplayClient } from './client.js';
import { type ReplayErrorInfo, toErrorInfo } from './errors.js';
import type { ReplayNotificationSource } from './notifications.js';
import { Store } from './store.js';

export interface ClipsSnapshot<C> {
  items: C[];
  /** More pages exist on the server. */
  hasMore: boolean;
  loading: boolean;
  /** The first page has arrived. */
  loaded: boolean;
  error: ReplayErrorInfo | null;
  /** Ids of clips with a mutation in flight. */
  pending: string[];
}

/** A cursor-paginated list of clips: the caller's own, or a user's public ones. */
export class ClipsStore<C extends PublicClipDto | ClipDto> extends Store<ClipsSnapshot<C>> {
  readonly #client: ReplayClient;
  readonly #fetchPage: (cursor?: string) => Promise<{ items: C[]; nextCursor: string | null }>;
  #cursor: string | null = null;
  #request: Promise<void> | null = null;
  readonly #notifications: ReplayNotificationSource | undefined;

  constructor(
    client: ReplayClient,
    fetchPage: (cursor?: string) => Promise<{ items: C[]; nextCursor: string | null }>,
    notifications?: ReplayNotificationSource,
    /** The caller's own list: a new clip is added at the top. */
    own = false,
  ) {
    super({ items: [], hasMore: true, loading: false, loaded: false, error: null, pending: [] });
    this.#client = client;
    this.#fetchPage = fetchPage;
    this.#notifications = own ? notifications : undefined;
  }

  /** Follows new clips (own list only); returns the detach. */
  attach(): () => void {
    return this.#notifications?.subscribe((n) => this.#onNotification(n)) ?? (() => {});
  }

  /** Loads the next page (the first one on the first call). Concurrent calls share one request. */
  loadMore(): Promise<void> {
    const snapshot = this.getSnapshot();
    if (this.#request) return this.#request;
    if (snapshot.loaded && !snapshot.hasMore) return Promise.resolve();
    this.setState({ loading: true, error: null });
    this.#request = this.#fetchPage(this.#cursor ?? undefined)
      .then((page) => {
        const known = new Set(this.getSnapshot().items.map((c) => c.id));
        this.#cursor = page.nextCursor;
        this.setState({
          items: [...this.getSnapshot().items, ...page.items.filter((c) => !known.has(c.id))],
          hasMore: page.nextCursor !== null,
          loaded: true,
        });
      })
      .catch((error) => this.setState({ error: toErrorInfo(error) }))
      .finally(() => {
        this.#request = null;
        this.setState({ loading: false });
      });
    return this.#request;
  }

  /** Starts again from the first page. */
  async refresh(): Promise<void> {
    await this.#request;
    this.#cursor = null;
    this.setState({ items: [], hasMore: true, loaded: false });
    await this.loadMore();
  }

  async deleteClip(clipId: string): Promise<void> {
    await this.#mutate(clipId, async () => {
      await this.#client.deleteClip(clipId);
      this.setState({ items: this.getSnapshot().items.filter((c) => c.id !== clipId) });
    });
  }

  async setVisibility(clipId: string, visibility: 'public' | 'private'): Promise<void> {
    await this.#mutate(clipId, async () => {
      this.#replace(await this.#client.updateClip(clipId, { visibility }));
    });
  }

  async share(clipId: string, target: ShareTarget): Promise<void> {
    await this.#mutate(clipId, async () => {
      this.#replace((await this.#client.shareClip(clipId, target)).clip);
    });
  }

  async #mutate(clipId: string, task: () => Promise<void>): Promise<void> {
    this.setState({ pending: [...this.getSnapshot().pending, clipId], error: null });
    try {
      await task();
    } catch (error) {
      this.setState({ error: toErrorInfo(error) });
      throw error;
    } finally {
      this.setState({ pending: this.getSnapshot().pending.filter((id) => id !== clipId) });
    }
  }

  #replace(clip: ClipDto): void {
    this.setState({
      items: this.getSnapshot().items.map((c) => (c.id === clip.id ? ({ ...c, ...clip } as C) : c)),
    });
  }

  /** Puts a clip just saved at the top (once). */
  addClip(clip: ClipDto): void {
    if (!this.getSnapshot().loaded || this.getSnapshot().items.some((c) => c.id === clip.id)) return;
    this.setState({ items: [clip as C, ...this.getSnapshot().items] });
  }

  #onNotification(n: ReplayNotification): void {
    if (n.type !== 'CLIP_READY' || !this.getSnapshot().loaded) return;
    if (this.getSnapshot().items.some((c) => c.id === n.clipId)) return;
    if (n.clip) this.addClip(n.clip);
    else void this.refresh();
  }
}
