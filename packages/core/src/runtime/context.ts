import { randomUUID } from 'node:crypto';
import type EventEmitter from 'eventemitter3';
import type { ReplayConfig } from '../config.js';
import type { ReplayErrorContext, ReplayManagerEvents, ReplayNotification } from '../events.js';
import type { ClipFileRecords } from '../ports/clip-file-records.js';
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
import type { SegmentSourceFactory } from '../ports/segment-source.js';
import type { SessionStore } from '../ports/session-store.js';
import type { SegmentProber } from '../segments/segment-probe.js';
import type { ReplaySession } from '../types.js';
import type { CaptureSlots } from './capture-slots.js';

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

/**
 * Builds the URI a preview playlist lists for a segment, or the URI of a timeline thumbnail.
 * `name` is a bare file name (`replay_00012.ts`, `replay_00012-w160.jpg`) that the route hands
 * back to `openPreviewSegment` / `openThumbnail`. Relative URIs resolve against the playlist's URL.
 */
export type PreviewUrlBuilder = (info: {
  sessionId: string;
  /** `playlist.m3u8` for kind `playlist`. */
  name: string;
  kind: 'playlist' | 'segment' | 'thumbnail';
}) => string;

/**
 * Maps a LiveKit participant to the host app's user (server-driven start: a webhook says who
 * shares, the app says which user that is). Null: not one of ours.
 */
export type ResolveParticipantHook = (input: {
  roomName: string;
  identity: string;
}) => Promise<{ userId: string; channelId?: string; communityId?: string } | null>;

/** Everything the capabilities share. Built once by ReplayBufferManager. */
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
  /** Where sessions' segments are read from (a local directory, or a bucket). */
  segments: SegmentSourceFactory;
  events: EventEmitter<ReplayManagerEvents>;
  captureSlots: CaptureSlots;
  rateLimiter: RateLimiter | null;
  authorize: AuthorizeHook | null;
  /** Posts shared clips into the host app's chat; sharing is refused (DISABLED) without it. */
  clipSharer?: ClipSharer | null;
  /** Keeps the host app's file records in step with clips. */
  clipFileRecords?: ClipFileRecords | null;
  /** Builds the URIs of preview segments and timeline thumbnails (default: relative names). */
  previewUrl?: PreviewUrlBuilder | null;
  /** Maps LiveKit participants to users; when set, room webhooks start and stop buffers (auto-start). */
  resolveParticipant?: ResolveParticipantHook | null;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Reports a failure nobody can be told about otherwise (a cleanup after another failure, a
 * background pass) through the `error` event, with what was being done.
 */
export function reportError(
  ctx: Pick<ManagerContext, 'events'>,
  error: unknown,
  context: ReplayErrorContext,
): void {
  ctx.events.emit('error', asError(error), context);
}

/**
 * Runs a cleanup step whose failure must not hide the original outcome, but must not be lost
 * either: a failure is reported through `error` with `context`.
 */
export async function attempt(
  ctx: Pick<ManagerContext, 'events'>,
  context: ReplayErrorContext,
  step: () => Promise<unknown>,
): Promise<void> {
  try {
    await step();
  } catch (error) {
    reportError(ctx, error, context);
  }
}

type SessionFacts = Pick<ReplaySession, 'id' | 'userId' | 'egressId' | 'roomName' | 'channelId'>;

/** The fields every notification about `session` carries (a fresh id: one per event). */
export function notificationBase(session: SessionFacts) {
  return {
    id: randomUUID(),
    userId: session.userId,
    sessionId: session.id,
    egressId: session.egressId,
    roomName: session.roomName,
    channelId: session.channelId,
    at: new Date().toISOString(),
  };
}

/** Publishes to the user's UI; a notifier failure is reported, never thrown into the caller's path. */
export async function notifyUser(ctx: ManagerContext, notification: ReplayNotification): Promise<void> {
  try {
    await ctx.notifier.publish(notification);
  } catch (error) {
    reportError(ctx, error, {
      operation: `publishing ${notification.type}`,
      userId: notification.userId,
      ...(notification.sessionId ? { sessionId: notification.sessionId } : {}),
    });
  }
}
