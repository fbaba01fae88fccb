import { startReplayBuffer, stopReplayBuffer } from '../buffer/buffer-control.js';
import { getBufferStatus } from '../buffer/buffer-status.js';
import { getRoomStatus } from '../buffer/room-status.js';
import { captureReplay } from '../capture/capture.js';
import { type ReplayStream, streamReplay } from '../capture/stream.js';
import { parseReplayConfig, type ReplayConfig } from '../config.js';
import type {
  BufferStatusDto,
  ClipDto,
  ClipPageDto,
  CommunityConfigDto,
  DeleteClipResponse,
  PreviewDto,
  PublicClipDto,
  PublicClipPageDto,
  PublicSessionDto,
  QuotaDto,
  RoomStatusDto,
  ShareClipResponse,
  ShareTarget,
  ThumbnailsDto,
} from '../contract/schemas.js';
import { type ReplayManagerEvents, type ReplayNotification, toPublicSession } from '../events.js';
import { cleanupOrphanedSessions, type OrphanCleanupResult } from '../jobs/orphan-cleanup.js';
import { type ReconcileResult, reconcileEgressStatus } from '../jobs/reconcile.js';
import {
  type JobTickOutcome,
  type LifecycleJob,
  type LifecycleRunner,
  type LifecycleSchedulerOptions,
  startLifecycle,
} from '../jobs/scheduler.js';
import { cleanupOldSegments, type SegmentCleanupResult } from '../jobs/segment-cleanup.js';
import {
  type ClipFileStream,
  getClipFileUrl,
  openClipFile,
  openClipPoster,
  type PosterStream,
} from '../library/clip-files.js';
import {
  deleteClip,
  getClip,
  getQuota,
  type ListClipsInput,
  type ListPublicClipsInput,
  listClips,
  listPublicClips,
  setUserQuota,
  updateClip,
} from '../library/clips.js';
import { shareClip } from '../library/share.js';
import type { ByteRange } from '../ports/clip-storage.js';
import { defaultPreviewUrl } from '../preview/playlist.js';
import {
  getPreview,
  openPreviewSegment,
  type PreviewRequest,
  type PreviewSegmentStream,
} from '../preview/preview.js';
import { getThumbnails, openThumbnail, type ThumbnailStream } from '../preview/thumbnails.js';
import type { ManagerContext, PreviewUrlBuilder } from '../runtime/context.js';
import { toClipDto, toClipDtoFor, toPublicClipDto, toQuotaDto } from '../runtime/dto.js';
import { assertCommunityConfig, assertIntegratorId } from '../runtime/input-guards.js';
import type {
  CaptureReplayInput,
  StartReplayBufferInput,
  StopReplayBufferInput,
  StreamReplayInput,
} from '../runtime/inputs.js';
import { currentSessionSchema, parseInput, sessionAccessSchema } from '../runtime/inputs.js';
import { IsolatedEventEmitter } from '../runtime/isolated-emitter.js';
import { loadOwnedSession } from '../runtime/session-lifecycle.js';
import { handleWebhook, type WebhookResult } from '../webhooks/webhooks.js';
import { buildContext } from './build-context.js';
import type { ReplayBufferManagerOptions } from './options.js';
import { toPreviewDto, toThumbnailsDto } from './views.js';

type Unsubscribe = () => void;

/**
 * The replay buffer, framework-agnostic. Every method takes one input object and resolves
 * with a plain serialisable object (the contract's DTOs: instants as ISO strings), or
 * rejects with a ReplayBufferError (`code`, `message`, `userMessage`, `details`).
 */
export class ReplayBufferManager {
  readonly config: ReplayConfig;
  /** In-process events for logging and metrics (`error`, `warning`, `session:*`, `capture:*`). */
  readonly events = new IsolatedEventEmitter<ReplayManagerEvents>();
  protected readonly ctx: ManagerContext;
  private lifecycle: LifecycleRunner | null = null;
  private lifecycleStarting: Promise<void> | null = null;

  constructor(options: ReplayBufferManagerOptions) {
    this.config = parseReplayConfig(options.config);
    this.ctx = buildContext(this.config, options, this.events);
  }

  /** Listens to an in-process event; returns the function that stops listening. */
  on<E extends keyof ReplayManagerEvents>(event: E, listener: ReplayManagerEvents[E]): Unsubscribe {
    this.events.on(event, listener as never);
    return () => {
      this.events.off(event, listener as never);
    };
  }

  // ── Buffer ────────────────────────────────────────────────────────────────────────────

  /** Starts the user's buffer (a Track Composite egress writing HLS), replacing a live one unless `replace: false`. */
  async startReplayBuffer(input: StartReplayBufferInput): Promise<PublicSessionDto> {
    return toPublicSession(await startReplayBuffer(this.ctx, input));
  }

  /** Stops `sessionId`, or the user's live buffer; segments stay for `retainAfterStopSeconds`. */
  async stopReplayBuffer(input: StopReplayBufferInput): Promise<PublicSessionDto> {
    return toPublicSession(await stopReplayBuffer(this.ctx, input));
  }

  /** The session, if the user owns it. */
  async getSession(input: { userId: string; sessionId: string }): Promise<PublicSessionDto> {
    const { sessionId, userId } = parseInput(sessionAccessSchema, input, 'session request');
    return toPublicSession(await loadOwnedSession(this.ctx, sessionId, userId));
  }

  /** Warming up? How much is buffered? How big would each preset save be? Null: no buffer. */
  getBufferStatus(input: { userId: string; sessionId?: string }): Promise<BufferStatusDto | null> {
    return getBufferStatus(this.ctx, input);
  }

  /** Who is buffering in a room (ids only). */
  getRoomStatus(input: { roomName: string }): Promise<RoomStatusDto> {
    return getRoomStatus(this.ctx, input);
  }

  // ── Capture ───────────────────────────────────────────────────────────────────────────

  /** Saves the last `durationSeconds` (or `startAt`–`endAt`) as an MP4 clip. */
  async captureReplay(input: CaptureReplayInput): Promise<ClipDto> {
    return toClipDto(await captureReplay(this.ctx, input));
  }

  /** The same cut as a save, streamed to the caller: no clip record, no quota. */
  streamReplay(input: StreamReplayInput): Promise<ReplayStream> {
    return streamReplay(this.ctx, input);
  }

  // ── Preview ───────────────────────────────────────────────────────────────────────────

  /** The trim timeline: the playlist's URL, its span and each segment's wall-clock start. */
  async getPreview(input: PreviewRequest): Promise<PreviewDto> {
    const preview = await getPreview(this.ctx, { ...input, withFrameRate: true });
    const urlFor = this.ctx.previewUrl ?? defaultPreviewUrl;
    const playlistUrl = urlFor({ sessionId: preview.sessionId, name: 'playlist.m3u8', kind: 'playlist' });
    return toPreviewDto(preview, playlistUrl, preview.frameRate);
  }

  /** The VOD HLS playlist over the buffer (hls.js); `segmentUrl` overrides the segment URIs. */
  async getPreviewPlaylist(
    input: PreviewRequest & { segmentUrl?: PreviewUrlBuilder },
  ): Promise<{ playlist: string; mimeType: 'application/vnd.apple.mpegurl' }> {
    const preview = await getPreview(this.ctx, { ...input, urlFor: input.segmentUrl });
    return { playlist: preview.playlist, mimeType: preview.mimeType };
  }

  /** One preview segment (remuxed, cached); only names in the session's index resolve. */
  openPreviewSegment(input: PreviewRequest & { name: string }): Promise<PreviewSegmentStream> {
    return openPreviewSegment(this.ctx, input);
  }

  /** Evenly spaced thumbnails along the buffer for a trim timeline. */
  async getThumbnails(input: PreviewRequest & { count?: number; width?: number }): Promise<ThumbnailsDto> {
    parseInput(
      currentSessionSchema,
      { userId: input.userId, sessionId: input.sessionId },
      'thumbnail request',
    );
    return toThumbnailsDto(await getThumbnails(this.ctx, input));
  }

  /** One timeline thumbnail (made on first use, cached per segment). */
  openThumbnail(input: PreviewRequest & { name: string }): Promise<ThumbnailStream> {
    return openThumbnail(this.ctx, input);
  }

  // ── Library ───────────────────────────────────────────────────────────────────────────

  /** The user's own clips, newest first (cursor pagination). */
  async listClips(input: ListClipsInput): Promise<ClipPageDto> {
    const page = await listClips(this.ctx, input);
    return { items: page.items.map(toClipDto), nextCursor: page.nextCursor };
  }

  /** A user's public clips (the public view: no internals); `viewerId` filters through the authorize hook. */
  async listPublicClips(input: ListPublicClipsInput): Promise<PublicClipPageDto> {
    const page = await listPublicClips(this.ctx, input);
    return { items: page.items.map(toPublicClipDto), nextCursor: page.nextCursor };
  }

  /** One clip: the owner's view for its owner, the public view for anyone the authorize hook allows. */
  async getClip(input: { clipId: string; viewerId: string }): Promise<ClipDto | PublicClipDto> {
    return toClipDtoFor(await getClip(this.ctx, input), input.viewerId);
  }

  /** Changes a clip's visibility or title (owner only). */
  async updateClip(input: {
    clipId: string;
    userId: string;
    visibility?: 'private' | 'public';
    title?: string | null;
  }): Promise<ClipDto> {
    return toClipDto(await updateClip(this.ctx, input));
  }

  /** Posts the clip to a channel or a DM through `hooks.clipSharer` (making it public). */
  async shareClip(input: { clipId: string; userId: string; share: ShareTarget }): Promise<ShareClipResponse> {
    const result = await shareClip(this.ctx, input);
    return { clip: toClipDto(result.clip), messageId: result.messageId, madePublic: result.madePublic };
  }

  /** Deletes the owner's clip (file, poster, record) and gives its bytes back. Idempotent. */
  deleteClip(input: { clipId: string; userId: string }): Promise<DeleteClipResponse> {
    return deleteClip(this.ctx, input);
  }

  /** Streams a clip, whole or a byte range (`range` may be the raw HTTP Range header). */
  openClipFile(input: {
    clipId: string;
    viewerId: string;
    range?: ByteRange | string | null;
  }): Promise<ClipFileStream> {
    return openClipFile(this.ctx, input);
  }

  /** Streams a clip's poster JPEG (same access rules as the clip). */
  openClipPoster(input: { clipId: string; viewerId: string }): Promise<PosterStream> {
    return openClipPoster(this.ctx, input);
  }

  /**
   * A short-lived presigned URL for a clip's file or poster (same access rules as
   * openClipFile); null when the storage cannot presign (read through openClipFile instead).
   */
  getClipFileUrl(input: {
    clipId: string;
    viewerId: string;
    kind: 'file' | 'poster';
  }): Promise<{ url: string; expiresAt: string } | null> {
    return getClipFileUrl(this.ctx, input);
  }

  async getQuota(input: { userId: string }): Promise<QuotaDto> {
    return toQuotaDto(await getQuota(this.ctx, input));
  }

  /** Sets one user's quota in bytes (an admin call: your route decides who may make it). */
  async setUserQuota(input: { userId: string; limitBytes: number }): Promise<QuotaDto> {
    return toQuotaDto(await setUserQuota(this.ctx, input));
  }

  // ── Admin ─────────────────────────────────────────────────────────────────────────────

  /** A community's replay settings; the configured defaults when it never set any. */
  async getCommunityConfig(input: { communityId: string }): Promise<CommunityConfigDto> {
    // Checked before any store sees it (a NUL or an overlong id never reaches the database).
    const communityId = assertIntegratorId(input?.communityId, 'communityId');
    const stored = await this.ctx.communities.get(communityId);
    const config = stored ?? { enabled: true, maxConcurrent: this.config.defaultCommunityMaxConcurrent };
    return { communityId, enabled: config.enabled, maxConcurrent: config.maxConcurrent };
  }

  /** Turns replay buffers on or off in a community and sets how many may run at once. */
  async setCommunityConfig(input: CommunityConfigDto): Promise<CommunityConfigDto> {
    const saved = await this.ctx.communities.set(assertCommunityConfig(input));
    return { communityId: saved.communityId, enabled: saved.enabled, maxConcurrent: saved.maxConcurrent };
  }

  // ── Webhooks and jobs ─────────────────────────────────────────────────────────────────

  /**
   * Handles a LiveKit webhook: pass the raw request body and the `Authorization` header
   * unchanged. WEBHOOK_INVALID (nothing changes) unless LiveKit signed it; egress events are
   * applied idempotently, in any order.
   */
  handleWebhook(input: {
    body: string | Uint8Array;
    authorization: string | undefined;
  }): Promise<WebhookResult> {
    return handleWebhook(this.ctx, input);
  }

  /** Trims live buffers to their window, deletes expired sessions' segments, sweeps stray dirs and caches. */
  cleanupOldSegments(_input: Record<string, never> = {}): Promise<SegmentCleanupResult> {
    return cleanupOldSegments(this.ctx);
  }

  /** Ends sessions nobody will end otherwise (too old, never started, egress gone). */
  cleanupOrphanedSessions(_input: Record<string, never> = {}): Promise<OrphanCleanupResult> {
    return cleanupOrphanedSessions(this.ctx);
  }

  /** Compares sessions with LiveKit's live egresses and repairs the differences. */
  reconcileEgressStatus(_input: Record<string, never> = {}): Promise<ReconcileResult> {
    return reconcileEgressStatus(this.ctx);
  }

  /**
   * Starts the maintenance jobs (each runs once now, then at its interval, once per tick across
   * instances through the JobLock) and the segment watcher. Call `close()` on shutdown.
   */
  async startScheduler(options: LifecycleSchedulerOptions = {}): Promise<void> {
    if (this.lifecycle) return;
    if (!this.lifecycleStarting) {
      this.lifecycleStarting = startLifecycle(this.ctx, options)
        .then((runner) => {
          this.lifecycle = runner;
        })
        .finally(() => {
          this.lifecycleStarting = null;
        });
    }
    await this.lifecycleStarting;
  }

  /** Stops the jobs and the watcher; waits for passes in progress. No timers are left. */
  async stopScheduler(): Promise<void> {
    // A failed start left nothing running; its error went to the startScheduler caller.
    if (this.lifecycleStarting) await this.lifecycleStarting.catch(() => undefined);
    const runner = this.lifecycle;
    this.lifecycle = null;
    await runner?.stop();
  }

  /** Runs one scheduled tick now, through the job lock (the scheduler must be started). */
  runScheduledJob(input: { job: LifecycleJob }): Promise<JobTickOutcome> {
    if (!this.lifecycle) return Promise.resolve('stopped');
    return this.lifecycle.runNow(input.job);
  }

  /**
   * Shuts the manager down: stops the scheduler and segment watcher, and waits for background
   * media work, so nothing writes to the segment or clip directories afterwards.
   */
  async close(): Promise<void> {
    await this.stopScheduler();
    await this.ctx.media.close?.();
  }

  /** Listens to every user-addressed notification (wire it to your WebSocket gateway). */
  subscribe(listener: (notification: ReplayNotification) => void): Promise<() => Promise<void>> {
    return this.ctx.notifier.subscribe(listener);
  }
}
