import type { CaptureRequest, ClipDto, ReplayNotification } from '@livekit-replay/core/contract';
import type { ReplayClient } from './client.js';
import { type ReplayErrorInfo, toErrorInfo } from './errors.js';
import type { ReplayNotificationSource } from './notifications.js';
import { Store } from './store.js';

export type CapturePhase = 'idle' | 'saving' | 'saved' | 'failed';

export interface CaptureSnapshot {
  phase: CapturePhase;
  /** 0..1 while saving (from the server's progress events), 1 once saved. */
  progress: number;
  stage: 'waiting' | 'cutting' | 'storing' | null;
  clip: ClipDto | null;
  error: ReplayErrorInfo | null;
}

const idle: CaptureSnapshot = { phase: 'idle', progress: 0, stage: null, clip: null, error: null };

/**
 * One save at a time: posts the capture and follows its progress events. The POST answers
 * with the clip; the socket only adds progress (and the failure's message if it comes first).
 */
export class CaptureStore extends Store<CaptureSnapshot> {
  readonly #client: ReplayClient;
  #captureId: string | null = null;
  #abort: AbortController | null = null;
  readonly #notifications: ReplayNotificationSource | undefined;

  constructor(client: ReplayClient, notifications?: ReplayNotificationSource) {
    super(idle);
    this.#client = client;
    this.#notifications = notifications;
  }

  /** Follows progress events; returns the detach (which also abandons a save in flight). */
  attach(): () => void {
    const unsubscribe = this.#notifications?.subscribe((n) => this.#onNotification(n));
    return () => {
      unsubscribe?.();
      this.#abort?.abort();
    };
  }

  reset(): void {
    if (this.getSnapshot().phase !== 'saving') this.setState(idle);
  }

  /** Saves a clip; resolves with it (or null when it failed: see `error`). */
  async capture(request: CaptureRequest): Promise<ClipDto | null> {
    if (this.getSnapshot().phase === 'saving') throw new Error('a save is already in progress');
    this.#captureId = null;
    this.#abort = new AbortController();
    this.setState({ phase: 'saving', progress: 0, stage: null, clip: null, error: null });
    try {
      const clip = await this.#client.capture(request, { signal: this.#abort.signal });
      this.setState({ phase: 'saved', progress: 1, clip });
      return clip;
    } catch (error) {
      this.setState({ phase: 'failed', error: toErrorInfo(error) });
      return null;
    } finally {
      this.#abort = null;
    }
  }

  #onNotification(n: ReplayNotification): void {
    if (this.getSnapshot().phase !== 'saving') return;
    if (n.type !== 'CAPTURE_PROGRESS' && n.type !== 'CAPTURE_FAILED' && n.type !== 'CLIP_READY') return;
    // The request does not name its capture: the first event while saving tells its id.
    this.#captureId ??= n.captureId;
    if (n.captureId !== this.#captureId) return;
    if (n.type === 'CAPTURE_PROGRESS') {
      const progress = Math.max(this.getSnapshot().progress, Math.min(1, Math.max(0, n.fraction)));
      this.setState({ progress, stage: n.stage ?? null });
    } else if (n.type === 'CAPTURE_FAILED') {
      this.setState({ error: { code: n.code, message: n.error, userMessage: n.userMessage } });
    }
  }
}
