import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { toPublicSession } from '../events.js';
import { assertSafeId, safeJoin } from '../ids.js';
import type { SegmentSource, SegmentSourceLayout } from '../ports/segment-source.js';
import { segmentAnomalyError } from '../segments/plausibility.js';
import type { SegmentIndexSnapshot } from '../segments/types.js';
import { LIVE_SESSION_STATUSES, type ReplaySession } from '../types.js';
import type { AuthorizeContext, ManagerContext, ReplayAction } from './context.js';
import { notificationBase, notifyUser, reportError } from './context.js';

export const SEGMENT_PREFIX = 'replay';
export const PLAYLIST_NAME = 'replay.m3u8';
export const LIVE_PLAYLIST_NAME = 'replay-live.m3u8';

export function isLive(session: ReplaySession): boolean {
  return LIVE_SESSION_STATUSES.includes(session.status);
}

/** Absolute directory of a session's segments, as this process sees it (local segments only). */
export function segmentDirOf(ctx: ManagerContext, session: Pick<ReplaySession, 'segmentDir'>): string {
  return safeJoin(ctx.config.segmentsDir, session.segmentDir);
}

/**
 * The session's egress layout as the segment source factory takes it: `dir` is the session's
 * own directory name (a safe id), which the factory resolves under its root or key prefix.
 */
export function segmentLayoutOf(session: ReplaySession): SegmentSourceLayout {
  return {
    dir: assertSafeId(session.segmentDir, 'segmentDir'),
    filenamePrefix: session.filenamePrefix,
    playlistName: session.playlistName,
    livePlaylistName: session.livePlaylistName,
    naming: session.segmentNaming,
    segmentDurationSeconds: session.segmentDurationSeconds,
  };
}

/** Where the session's segments are read from (cached per session by the factory). */
export function segmentSourceOf(ctx: ManagerContext, session: ReplaySession): SegmentSource {
  return ctx.segments.forLayout(segmentLayoutOf(session));
}

/** What the session's segments are right now (complete segments only). */
export function readSessionIndex(
  ctx: ManagerContext,
  session: ReplaySession,
  source: SegmentSource = segmentSourceOf(ctx, session),
): Promise<SegmentIndexSnapshot> {
  return source.list({
    egressEnded: !isLive(session), // the newest file of an ended egress is complete
    onAnomaly: (anomaly) => ctx.events.emit('error', segmentAnomalyError(session.id, anomaly)),
  });
}

/** Whether a save or preview can still read the session's recording (live, or within retention). */
export function isRetained(ctx: ManagerContext, session: ReplaySession, now = Date.now()): boolean {
  if (isLive(session)) return true;
  return (
    session.endedAt !== null && now - session.endedAt.getTime() <= ctx.config.retainAfterStopSeconds * 1000
  );
}

/**
 * The session a request without a session id is about: the user's live buffer, else (when
 * `recent`) the newest one whose recording is still kept. Null when there is none.
 */
export async function findCurrentSession(
  ctx: ManagerContext,
  userId: string,
  options: { recent: boolean },
): Promise<ReplaySession | null> {
  const live = await ctx.sessions.findLiveByUser(userId);
  if (live || !options.recent) return live;
  const latest = ctx.sessions.findLatestByUser
    ? await ctx.sessions.findLatestByUser(userId)
    : // Stores without the optional lookup: scan ended sessions (fine for small deployments).
      ((await ctx.sessions.listByStatus(['stopped', 'failed']))
        .filter((s) => s.userId === userId)
        .sort((a, b) => (b.endedAt?.getTime() ?? 0) - (a.endedAt?.getTime() ?? 0))[0] ?? null);
  return latest && isRetained(ctx, latest) ? latest : null;
}

/**
 * The session a request is about: `sessionId` if given (owned by the user), else the user's
 * current one (SESSION_NOT_FOUND when there is none).
 */
export async function resolveSession(
  ctx: ManagerContext,
  userId: string,
  sessionId: string | undefined,
  options: { recent: boolean } = { recent: true },
): Promise<ReplaySession> {
  if (sessionId !== undefined) return loadOwnedSession(ctx, sessionId, userId);
  const current = await findCurrentSession(ctx, userId, options);
  if (!current) {
    throw new ReplayBufferError(ReplayErrorCode.SESSION_NOT_FOUND, 'You have no replay buffer running', {
      details: { userId },
      userMessage: 'You have no replay buffer running. Start sharing your screen to record one.',
    });
  }
  return current;
}

/** Loads a session and checks the caller owns it (SESSION_NOT_FOUND / FORBIDDEN). */
export async function loadOwnedSession(
  ctx: ManagerContext,
  sessionId: string,
  userId: string,
): Promise<ReplaySession> {
  const session = await ctx.sessions.get(sessionId);
  if (!session) {
    throw new ReplayBufferError(
      ReplayErrorCode.SESSION_NOT_FOUND,
      `Replay session ${sessionId} does not exist`,
      {
        details: { sessionId },
      },
    );
  }
  if (session.userId !== userId) {
    throw new ReplayBufferError(ReplayErrorCode.FORBIDDEN, 'This replay session belongs to another user', {
      details: { sessionId },
    });
  }
  return session;
}

export async function authorizeOrThrow(
  ctx: ManagerContext,
  context: Omit<AuthorizeContext, 'action'> & { action: ReplayAction },
): Promise<void> {
  if (!ctx.authorize) return;
  let allowed: boolean;
  try {
    allowed = await ctx.authorize(context);
  } catch (error) {
    throw new ReplayBufferError(ReplayErrorCode.FORBIDDEN, 'The authorization hook refused the request', {
      cause: error,
      details: { action: context.action },
    });
  }
  if (!allowed) {
    throw new ReplayBufferError(
      ReplayErrorCode.FORBIDDEN,
      `Not allowed to ${context.action.replace('_', ' ')} here`,
      {
        details: { action: context.action },
      },
    );
  }
}

const BUFFER_FAILED_USER_MESSAGE =
  'Your replay buffer stopped because the recording failed. Share your screen again to restart it.';

export interface EndSessionOptions {
  to: 'stopped' | 'failed';
  reason: string;
  error?: string | null;
  /** Ask LiveKit to stop the egress too (not needed when LiveKit told us it ended). */
  stopEgress: boolean;
  /** When it ended (LiveKit's time when it told us); defaults to now. */
  endedAt?: Date;
  /** LiveKit's start time, recorded when the session never saw its activation. */
  startedAt?: Date;
}

/**
 * Ends a live session exactly once (compare-and-set), then stops its egress and tells the
 * user. Returns the ended session, or null when it was already over (someone else ended it).
 * Every path that ends a session goes through here, so no UI is left believing a buffer runs.
 */
export async function endSession(
  ctx: ManagerContext,
  session: ReplaySession,
  options: EndSessionOptions,
): Promise<ReplaySession | null> {
  const ended = await ctx.sessions.transition(session.id, LIVE_SESSION_STATUSES, options.to, {
    endedAt: options.endedAt ?? new Date(),
    endReason: options.reason,
    error: options.error ?? null,
    missedSightings: 0,
    ...(options.startedAt ? { startedAt: options.startedAt } : {}),
  });
  if (!ended) return null;
  if (options.stopEgress && ended.egressId) {
    try {
      await ctx.egress.stopEgress(ended.egressId);
    } catch (error) {
      // The session is over for the user either way; reconciliation stops a stray egress later.
      reportError(ctx, error, {
        operation: 'stopping the egress of an ended session',
        sessionId: ended.id,
        egressId: ended.egressId,
      });
    }
  }
  // The source of an ended session is rebuilt on demand (saves within retention are rare).
  ctx.segments.release({ dir: ended.segmentDir });
  ctx.events.emit('session:ended', ended);
  const base = notificationBase(ended);
  await notifyUser(
    ctx,
    options.to === 'failed'
      ? {
          ...base,
          type: 'REPLAY_BUFFER_FAILED',
          code: ReplayErrorCode.EGRESS_FAILED,
          error: options.error ?? options.reason,
          userMessage: BUFFER_FAILED_USER_MESSAGE,
        }
      : { ...base, type: 'REPLAY_BUFFER_STOPPED', reason: options.reason },
  );
  return ended;
}

/** Marks a `starting` session active (LiveKit says the egress runs). Idempotent. */
export async function activateSession(
  ctx: ManagerContext,
  session: ReplaySession,
  startedAt: Date,
): Promise<ReplaySession | null> {
  const active = await ctx.sessions.transition(session.id, ['starting'], 'active', { startedAt });
  if (active) {
    ctx.events.emit('session:active', active);
    await notifyUser(ctx, {
      ...notificationBase(active),
      type: 'REPLAY_BUFFER_STARTED',
      session: toPublicSession(active),
    });
  }
  return active;
}

/** Removes everything a session's egress wrote (retention over, or the start failed). */
export async function deleteSegments(ctx: ManagerContext, session: ReplaySession): Promise<void> {
  await ctx.segments.deleteLayout({ dir: assertSafeId(session.segmentDir, 'segmentDir') });
}
