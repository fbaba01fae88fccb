import EventEmitter from 'eventemitter3';
import { parseReplayConfig, type ReplayConfig, type ReplayConfigInput } from '../config.js';
import type { ReplayManagerEvents, ReplayNotification } from '../events.js';
import { LiveKitEgressGateway } from '../livekit/livekit-egress-gateway.js';
import { FfmpegMediaPipeline } from '../media/index.js';
import { createMemoryStores, InProcessJobLock, InProcessNotifier } from '../memory/index.js';
import type { ClipStorage } from '../ports/clip-storage.js';
import type { ClipStore } from '../ports/clip-store.js';
import type { CommunityConfigStore } from '../ports/community-config-store.js';
import type { EgressGateway } from '../ports/egress-gateway.js';
import type { JobLock } from '../ports/job-lock.js';
import type { MediaPipeline } from '../ports/media-pipeline.js';
import type { Notifier } from '../ports/notifier.js';
import type { QuotaLedger } from '../ports/quota-ledger.js';
import type { SessionStore } from '../ports/session-store.js';
import { createSegmentProber } from '../segments/segment-probe.js';
import { LocalClipStorage } from '../storage/local-clip-storage.js';
import type { ClipRecord, ReplaySession } from '../types.js';
import { startReplayBuffer, stopReplayBuffer } from './buffer-control.js';
import { type BufferStatus, getBufferStatus } from './buffer-status.js';
import { captureReplay } from './capture.js';
import { CaptureSlots } from './capture-slots.js';
import type { AuthorizeHook, ManagerContext } from './context.js';
import type { CaptureReplayInput, StartReplayBufferInput, StopReplayBufferInput } from './inputs.js';
import { parseInput, sessionAccessSchema } from './inputs.js';
import { type RateLimitWindow, SlidingWindowRateLimiter } from './rate-limiter.js';
import { loadOwnedSession } from './session-lifecycle.js';

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
  /** Defaults to ffmpeg (fluent-ffmpeg) with `config.ffmpegPath`. */
  media?: MediaPipeline;
  notifier?: Notifier;
  jobLock?: JobLock;
  authorize?: AuthorizeHook;
  /** Per-user save limits; `false` turns them off (tests, trusted callers). */
  captureRateLimits?: RateLimitWindow[] | false;
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
        new FfmpegMediaPipeline({ ffmpegPath: this.config.ffmpegPath, ffprobePath: this.config.ffprobePath }),
      notifier: options.notifier ?? new InProcessNotifier(),
      jobLock: options.jobLock ?? new InProcessJobLock(),
      segmentProber: createSegmentProber(
        this.config.ffprobePath ? { ffprobePath: this.config.ffprobePath } : {},
      ),
      events: this.events,
      captureSlots: new CaptureSlots(this.config.maxConcurrentCaptures),
      rateLimiter: rateLimits === false ? null : new SlidingWindowRateLimiter(rateLimits),
      authorize: options.authorize ?? null,
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

  // ── Capture ───────────────────────────────────────────────────────────────────────────

  /** Saves the last `durationSeconds` (or a wall-clock range) as an MP4 clip. */
  captureReplay(input: CaptureReplayInput): Promise<ClipRecord> {
    return captureReplay(this.ctx, input);
  }

  // ── Notifications ─────────────────────────────────────────────────────────────────────

  /** Listens to every user-addressed notification (wire it to your WebSocket gateway). */
  subscribe(listener: (notification: ReplayNotification) => void): Promise<() => Promise<void>> {
    return this.ctx.notifier.subscribe(listener);
  }
}
