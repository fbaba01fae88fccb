import EventEmitter from 'eventemitter3';
import { parseReplayConfig, type ReplayConfig, type ReplayConfigInput } from '../config.js';
import type { ReplayManagerEvents, ReplayNotification } from '../events.js';
import { LiveKitEgressGateway } from '../livekit/livekit-egress-gateway.js';
import { FfmpegMediaPipeline } from '../media/index.js';
import { createSegmentProber } from '../media/segment-probe.js';
import { createMemoryStores, InProcessJobLock, InProcessNotifier } from '../memory/index.js';
import type { ClipSharer } from '../ports/clip-sharer.js';
import type { ByteRange, ClipStorage } from '../ports/clip-storage.js';
import type { ClipPage, ClipStore } from '../ports/clip-store.js';
import type { CommunityConfigStore, CommunityReplayConfig } from '../ports/community-config-store.js';
import type { EgressGateway } from '../ports/egress-gateway.js';
import type { JobLock } from '../ports/job-lock.js';
import type { MediaPipeline } from '../ports/media-pipeline.js';
import type { Notifier } from '../ports/notifier.js';
import type { QuotaLedger, QuotaUsage } from '../ports/quota-ledger.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { SessionStore } from '../ports/session-store.js';
import { LocalClipStorage } from '../storage/local-clip-storage.js';
import type { ClipRecord, ClipVisibility, ReplaySession } from '../types.js';
import { startReplayBuffer, stopReplayBuffer } from './buffer-control.js';
import { type BufferStatus, getBufferStatus } from './buffer-status.js';
import { captureReplay } from './capture.js';
import { CaptureSlots } from './capture-slots.js';
import {
  type ClipStream,
  type DeleteClipResult,
  deleteClip,
  getClip,
  getQuotaUsage,
  type ListClipsPageOptions,
  type ListPublicClipsOptions,
  listClips,
  listPublicClips,
  openClipPoster,
  openClipStream,
  type PosterStream,
  type ShareClipInput,
  type ShareClipResult,
  setClipVisibility,
  setUserQuota,
  shareClip,
} from './clip-library.js';
import type { AuthorizeHook, ManagerContext } from './context.js';
import type { CaptureReplayInput, StartReplayBufferInput, StopReplayBufferInput } from './inputs.js';
import { parseInput, sessionAccessSchema } from './inputs.js';
import {
  cleanupOldSegments,
  cleanupOrphanedSessions,
  type OrphanCleanupResult,
  type ReconcileResult,
  reconcileEgressStatus,
  type SegmentCleanupResult,
} from './maintenance.js';
import {
  getPreview,
  type PreviewPlaylist,
  type PreviewSegmentStream,
  type PreviewUrlBuilder,
  resolvePreviewSegment,
} from './preview.js';
import { type RateLimitWindow, SlidingWindowRateLimiter } from './rate-limiter.js';
import {
  type JobTickOutcome,
  type LifecycleJob,
  type LifecycleRunner,
  type LifecycleSchedulerOptions,
  startLifecycle,
} from './scheduler.js';
import { loadOwnedSession } from './session-lifecycle.js';
import {
  getThumbnails,
  resolveThumbnail,
  type ThumbnailOptions,
  type ThumbnailStream,
  type TimelineThumbnails,
} from './thumbnails.js';
import { handleWebhook, type WebhookResult } from './webhooks.js';

/** Production's limits: 3 saves a minute and 15 an hour per user. */
export const DEFAULT_CAPTURE_RATE_LIMITS: RateLimitWindow[] = [
  { limit: 3, windowMs: 60_000 },
  { limit: 15, windowMs: 3_600_000 },
];

export interface ReplayBufferManagerOptions {
  config: ReplayConfig | ReplayConfigInput;
  /** Stores default to in-memory ones (single process, nothing survives a restart). */
  sessions?: SessionStore;
  clips?: ClipStore;
  quotas?: QuotaLedger;
  communities?: CommunityConfigStore;
  /** Defaults to livekit-server-sdk's EgressClient with `config.livekit`. */
  egress?: EgressGateway;
  /** Defaults to a LocalClipStorage in `config.clipsDir`. */
  storage?: ClipStorage;
  /** Defaults to ffmpeg with `config.ffmpegPath`. */
  media?: MediaPipeline;
  notifier?: Notifier;
  jobLock?: JobLock;
  authorize?: AuthorizeHook;
  /** Posts shared clips into your chat (channel or DM); without it shareClip answers DISABLED. */
  clipSharer?: ClipSharer;
  /**
   * URIs for preview segments and timeline thumbnails, e.g.
   * `({ sessionId, name, kind }) => \`/api/replay/sessions/${sessionId}/preview/${kind}s/${name}\``.
   * Default: the bare name, relative to the playlist's URL (thumbnails under `thumbnails/`).
   */
  previewSegmentUrl?: PreviewUrlBuilder;
  /** Per-user save limits (in-process); `false` turns them off (tests, trusted callers). */
  captureRateLimits?: RateLimitWindow[] | false;
  /**
   * A limiter shared by every instance (e.g. the Redis adapter's RedisRateLimiter); wins over
   * `captureRateLimits`.
   */
  rateLimiter?: RateLimiter;
}

/**
 * The replay buffer, framework-agnostic. Method names follow the seed integrators know
 * (startReplayBuffer, stopReplayBuffer, captureReplay, …); every failure is a
 * ReplayBufferError with a code.
 */
export class ReplayBufferManager {
  readonly config: ReplayConfig;
  /** In-process events for logging and metrics. Background failures arrive as `error`. */
  readonly events = new EventEmitter<ReplayManagerEvents>();
  protected readonly ctx: ManagerContext;

  constructor(options: ReplayBufferManagerOptions) {
    this.config = parseReplayConfig(options.config);
    const memory = createMemoryStores();
    const rateLimits = options.captureRateLimits ?? DEFAULT_CAPTURE_RATE_LIMITS;
    this.ctx = {
      config: this.config,
      sessions: options.sessions ?? memory.sessions,
      clips: options.clips ?? memory.clips,
      quotas: options.quotas ?? memory.quotas,
      communities: options.communities ?? memory.communities,
      egress: options.egress ?? new LiveKitEgressGateway(this.config.livekit),
      storage: options.storage ?? new LocalClipStorage(this.config.clipsDir),
      media:
        options.media ??
        new FfmpegMediaPipeline({
          ffmpegPath: this.config.ffmpegPath,
          ffprobePath: this.config.ffprobePath,
        }),
      notifier: options.notifier ?? new InProcessNotifier(),
      jobLock: options.jobLock ?? new InProcessJobLock(),
      segmentProber: createSegmentProber(),
      events: this.events,
      captureSlots: new CaptureSlots(this.config.maxConcurrentCaptures),
      rateLimiter:
        options.rateLimiter ?? (rateLimits === false ? null : new SlidingWindowRateLimiter(rateLimits)),
      authorize: options.authorize ?? null,
      clipSharer: options.clipSharer ?? null,
      previewUrl: options.previewSegmentUrl ?? null,
    };
  }

  // ── Buffer control ────────────────────────────────────────────────────────────────────

  /** Starts the user's replay buffer (a LiveKit Track Composite egress writing HLS segments). */
  startReplayBuffer(input: StartReplayBufferInput): Promise<ReplaySession> {
    return startReplayBuffer(this.ctx, input);
  }

  /** Stops the user's buffer; segments stay for `retainAfterStopSeconds` so a save still works. */
  stopReplayBuffer(input: StopReplayBufferInput): Promise<ReplaySession> {
    return stopReplayBuffer(this.ctx, input);
  }

  /** The session, if the user owns it. */
  async getSession(input: { sessionId: string; userId: string }): Promise<ReplaySession> {
    const { sessionId, userId } = parseInput(sessionAccessSchema, input, 'session request');
    return loadOwnedSession(this.ctx, sessionId, userId);
  }

  /** The user's live session, or null. */
  getActiveSession(userId: string): Promise<ReplaySession | null> {
    return this.ctx.sessions.findLiveByUser(userId);
  }

  /** Warming up? How much is buffered? How big would each preset save be? */
  getBufferStatus(input: { sessionId: string; userId: string }): Promise<BufferStatus> {
    return getBufferStatus(this.ctx, input);
  }

  /** A community's replay settings; the configured defaults when it never set any. */
  async getCommunityConfig(communityId: string): Promise<CommunityReplayConfig> {
    return (
      (await this.ctx.communities.get(communityId)) ?? {
        communityId,
        enabled: true,
        maxConcurrent: this.config.defaultCommunityMaxConcurrent,
      }
    );
  }

  /** Turns replay buffers on or off in a community and sets how many may run at once. */
  setCommunityConfig(config: CommunityReplayConfig): Promise<CommunityReplayConfig> {
    return this.ctx.communities.set(config);
  }

  // ── Capture ───────────────────────────────────────────────────────────────────────────

  /** Saves the last `durationSeconds` (or a wall-clock range) as an MP4 clip. */
  captureReplay(input: CaptureReplayInput): Promise<ClipRecord> {
    return captureReplay(this.ctx, input);
  }

  // ── Clip library ──────────────────────────────────────────────────────────────────────

  /** The user's own clips, newest first (cursor pagination). */
  listClips(userId: string, options?: ListClipsPageOptions): Promise<ClipPage> {
    return listClips(this.ctx, userId, options);
  }

  /** A user's public clips, newest first; with `viewerId`, only those the authorize hook lets them view. */
  listPublicClips(ownerId: string, options?: ListPublicClipsOptions): Promise<ClipPage> {
    return listPublicClips(this.ctx, ownerId, options);
  }

  /** One clip: the owner's, or a public one the authorize hook (`view_clip`) allows. Else CLIP_NOT_FOUND / FORBIDDEN. */
  getClip(clipId: string, viewerId: string): Promise<ClipRecord> {
    return getClip(this.ctx, clipId, viewerId);
  }

  /** Deletes the owner's clip (file, poster, record) and gives its bytes back. Idempotent. */
  deleteClip(clipId: string, userId: string): Promise<DeleteClipResult> {
    return deleteClip(this.ctx, clipId, userId);
  }

  setClipVisibility(clipId: string, userId: string, visibility: ClipVisibility): Promise<ClipRecord> {
    return setClipVisibility(this.ctx, clipId, userId, visibility);
  }

  /** Posts the clip to a channel or a DM through the `clipSharer` (making it public). */
  shareClip(clipId: string, userId: string, input: ShareClipInput): Promise<ShareClipResult> {
    return shareClip(this.ctx, clipId, userId, input);
  }

  /** Streams a clip, whole or a byte range (`range` may be the raw HTTP Range header). */
  openClipStream(clipId: string, viewerId: string, range?: ByteRange | string | null): Promise<ClipStream> {
    return openClipStream(this.ctx, clipId, viewerId, range);
  }

  /** Streams a clip's poster JPEG (same access rules as the clip). */
  openClipPoster(clipId: string, viewerId: string): Promise<PosterStream> {
    return openClipPoster(this.ctx, clipId, viewerId);
  }

  getQuotaUsage(userId: string): Promise<QuotaUsage> {
    return getQuotaUsage(this.ctx, userId);
  }

  /** Sets one user's quota in bytes (an admin call: your route decides who may make it). */
  setUserQuota(userId: string, bytes: number): Promise<QuotaUsage> {
    return setUserQuota(this.ctx, userId, bytes);
  }

  /** A VOD HLS playlist over the buffer for the trim preview (see PreviewPlaylist for the time mapping). */
  getPreview(sessionId: string, userId: string): Promise<PreviewPlaylist> {
    return getPreview(this.ctx, sessionId, userId);
  }

  /** Streams one preview segment (remuxed, cached); only names in the session's index resolve. */
  resolvePreviewSegment(
    sessionId: string,
    userId: string,
    segmentName: string,
  ): Promise<PreviewSegmentStream> {
    return resolvePreviewSegment(this.ctx, sessionId, userId, segmentName);
  }

  /** Evenly spaced thumbnails along the buffer for a trim timeline. */
  getThumbnails(sessionId: string, userId: string, options?: ThumbnailOptions): Promise<TimelineThumbnails> {
    return getThumbnails(this.ctx, sessionId, userId, options);
  }

  /** Streams one timeline thumbnail (made on first use, cached per segment). */
  resolveThumbnail(sessionId: string, userId: string, name: string): Promise<ThumbnailStream> {
    return resolveThumbnail(this.ctx, sessionId, userId, name);
  }

  // ── Lifecycle ─────────────────────────────────────────────────────────────────────────

  private lifecycle: LifecycleRunner | null = null;
  private lifecycleStarting: Promise<void> | null = null;

  /**
   * Handles a LiveKit webhook: pass the raw request body and the `Authorization` header
   * unchanged. Throws WEBHOOK_INVALID (nothing changes) unless LiveKit signed it; egress
   * events are applied idempotently, in any order.
   */
  handleWebhook(rawBody: string | Uint8Array, authorization: string | undefined): Promise<WebhookResult> {
    return handleWebhook(this.ctx, rawBody, authorization);
  }

  /** Trims live buffers to their window, deletes expired sessions' segments, sweeps stray dirs. */
  cleanupOldSegments(): Promise<SegmentCleanupResult> {
    return cleanupOldSegments(this.ctx);
  }

  /** Ends sessions nobody will end otherwise (too old, egress gone); deletes expired segments. */
  cleanupOrphanedSessions(): Promise<OrphanCleanupResult> {
    return cleanupOrphanedSessions(this.ctx);
  }

  /** Compares sessions with LiveKit's live egresses and repairs the differences. */
  reconcileEgressStatus(): Promise<ReconcileResult> {
    return reconcileEgressStatus(this.ctx);
  }

  /**
   * Starts the maintenance jobs (each runs once now, then at its interval, once per tick across
   * instances through the JobLock) and the segment watcher. Call `stopScheduler()` on shutdown.
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
    if (this.lifecycleStarting) await this.lifecycleStarting.catch(() => undefined);
    const runner = this.lifecycle;
    this.lifecycle = null;
    await runner?.stop();
  }

  /** Runs one scheduled tick now, through the job lock (the scheduler must be started). */
  runScheduledJob(job: LifecycleJob): Promise<JobTickOutcome> {
    if (!this.lifecycle) return Promise.resolve('stopped');
    return this.lifecycle.runNow(job);
  }

  // ── Notifications ─────────────────────────────────────────────────────────────────────

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
