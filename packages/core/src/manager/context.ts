import type EventEmitter from 'eventemitter3';
import type { ReplayConfig } from '../config.js';
import type { ReplayManagerEvents, ReplayNotification } from '../events.js';
import type { SegmentProber } from '../media/segment-probe.js';
import type { ClipSharer } from '../ports/clip-sharer.js';
import type { ClipStorage } from '../ports/clip-storage.js';
import type { ClipStore } from '../ports/clip-store.js';
import type { CommunityConfigStore } from '../ports/community-config-store.js';
import type { EgressGateway } from '../ports/egress-gateway.js';
import type { JobLock } from '../ports/job-lock.js';
import type { MediaPipeline } from '../ports/media-pipeline.js';
import type { Notifier } from '../ports/notifier.js';
import type { QuotaLedger } from '../ports/quota-ledger.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { SessionStore } from '../ports/session-store.js';
import type { CaptureSlots } from './capture-slots.js';
import type { PreviewUrlBuilder } from './preview.js';

export type ReplayAction = 'start' | 'stop' | 'capture' | 'preview' | 'view_clip' | 'share_clip';

export interface AuthorizeContext {
  userId: string;
  action: ReplayAction;
  roomName: string | null;
  channelId: string | null;
  communityId: string | null;
  /** The session or clip the action is about, when there is one. */
  sessionId?: string;
  clipId?: string;
}

/** Integrator hook (e.g. "may this user join this channel?"). Return false to refuse with FORBIDDEN. */
export type AuthorizeHook = (context: AuthorizeContext) => boolean | Promise<boolean>;

/** Everything the manager's services share. Built once by ReplayBufferManager. */
export interface ManagerContext {
  config: ReplayConfig;
  sessions: SessionStore;
  clips: ClipStore;
  quotas: QuotaLedger;
  communities: CommunityConfigStore;
  egress: EgressGateway;
  storage: ClipStorage;
  media: MediaPipeline;
  notifier: Notifier;
  jobLock: JobLock;
  /** Probes segments the playlist has not listed yet (cached). */
  segmentProber: SegmentProber;
  events: EventEmitter<ReplayManagerEvents>;
  captureSlots: CaptureSlots;
  rateLimiter: RateLimiter | null;
  authorize: AuthorizeHook | null;
  /** Posts shared clips into the host app's chat; sharing is refused (DISABLED) without it. */
  clipSharer?: ClipSharer | null;
  /** Builds the URIs of preview segments and timeline thumbnails (default: relative names). */
  previewUrl?: PreviewUrlBuilder | null;
}

/** Publishes to the user's UI; a notifier failure is reported, never thrown into the caller's path. */
export async function notifyUser(ctx: ManagerContext, notification: ReplayNotification): Promise<void> {
  try {
    await ctx.notifier.publish(notification);
  } catch (error) {
    ctx.events.emit('error', error instanceof Error ? error : new Error(String(error)));
  }
}
