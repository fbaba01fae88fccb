import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode, toReplayBufferError } from '../errors.js';
import { newId } from '../ids.js';
import type { CreateSessionOptions } from '../ports/session-store.js';
import { attempt, type ManagerContext } from '../runtime/context.js';
import {
  parseInput,
  type StartReplayBufferInput,
  type StopReplayBufferInput,
  startInputSchema,
  stopInputSchema,
} from '../runtime/inputs.js';
import {
  activateSession,
  authorizeOrThrow,
  deleteSegments,
  endSession,
  isLive,
  LIVE_PLAYLIST_NAME,
  PLAYLIST_NAME,
  resolveSession,
  SEGMENT_PREFIX,
  segmentDirOf,
} from '../runtime/session-lifecycle.js';
import type { NewSession, ReplaySession } from '../types.js';

/** Replacing loses a race at most this often before giving up (each loss means another start won). */
const REPLACE_ATTEMPTS = 3;

/**
 * Creates the session record. With `replace`, the user's live buffer is ended first (its egress
 * stopped); the store's one-live-per-user rule keeps it atomic: a concurrent start that slipped
 * in between is ended in turn and the insert retried, so exactly one buffer stays live.
 */
async function createReplacing(
  ctx: ManagerContext,
  record: NewSession,
  options: CreateSessionOptions,
  replace: boolean,
): Promise<ReplaySession> {
  for (let round = 1; ; round++) {
    if (replace) {
      const existing = await ctx.sessions.findLiveByUser(record.userId);
      if (existing) await endSession(ctx, existing, { to: 'stopped', reason: 'replaced', stopEgress: true });
    }
    try {
      return await ctx.sessions.create(record, options);
    } catch (error) {
      const raced = replace && round < REPLACE_ATTEMPTS;
      if (!(raced && error instanceof ReplayBufferError && error.code === ReplayErrorCode.ALREADY_ACTIVE)) {
        throw error;
      }
    }
  }
}

/**
 * Starts a replay buffer: one live session per user (atomic in the store), the community's
 * toggle and concurrency limit, then a Track Composite egress writing HLS segments into the
 * session's own directory.
 */
export async function startReplayBuffer(
  ctx: ManagerContext,
  raw: StartReplayBufferInput,
): Promise<ReplaySession> {
  const input = parseInput(startInputSchema, raw, 'start request');
  const quality = input.quality ?? ctx.config.defaultQuality;
  if (quality === 'source' && !input.sourceDimensions) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      'quality "source" needs sourceDimensions (the shared screen\'s width and height)',
      { details: { fields: ['sourceDimensions'] } },
    );
  }
  await authorizeOrThrow(ctx, {
    userId: input.userId,
    action: 'start',
    roomName: input.roomName,
    channelId: input.channelId ?? null,
    communityId: input.communityId ?? null,
  });

  let communityLimit: number | undefined;
  if (input.communityId) {
    const community = await ctx.communities.get(input.communityId);
    if (community && !community.enabled) {
      throw new ReplayBufferError(
        ReplayErrorCode.DISABLED,
        'Replay buffers are turned off in this community',
        {
          details: { communityId: input.communityId },
        },
      );
    }
    communityLimit = community?.maxConcurrent ?? ctx.config.defaultCommunityMaxConcurrent;
  }

  const sessionId = newId('rs');
  const session = await createReplacing(
    ctx,
    {
      id: sessionId,
      userId: input.userId,
      roomName: input.roomName,
      videoTrackId: input.videoTrackId,
      audioTrackId: input.audioTrackId ?? null,
      communityId: input.communityId ?? null,
      channelId: input.channelId ?? null,
      quality,
      egressId: null,
      segmentDir: sessionId,
      filenamePrefix: SEGMENT_PREFIX,
      playlistName: PLAYLIST_NAME,
      livePlaylistName: LIVE_PLAYLIST_NAME,
      segmentNaming: ctx.config.segmentNaming,
      segmentDurationSeconds: ctx.config.segmentDurationSeconds,
    },
    communityLimit === undefined ? {} : { communityLimit },
    input.replace ?? true,
  );
  ctx.events.emit('session:started', session);

  let startedEgressId: string | null = null;
  try {
    // A local egress writes into this directory; a bucket needs none.
    if (ctx.segments.local) await mkdir(segmentDirOf(ctx, session), { recursive: true });
    const egressRoot = ctx.config.egressSegmentsDir ?? ctx.config.segmentsDir;
    const egress = await ctx.egress.startSegmentedEgress({
      roomName: session.roomName,
      videoTrackId: session.videoTrackId,
      audioTrackId: session.audioTrackId,
      quality,
      ...(input.sourceDimensions ? { sourceDimensions: input.sourceDimensions } : {}),
      filenamePrefix: path.posix.join(egressRoot, session.segmentDir, SEGMENT_PREFIX),
      playlistName: PLAYLIST_NAME,
      livePlaylistName: LIVE_PLAYLIST_NAME,
      segmentDurationSeconds: session.segmentDurationSeconds,
      segmentNaming: session.segmentNaming,
    });
    startedEgressId = egress.egressId;
    const withEgress = await ctx.sessions.patch(session.id, ['starting', 'active'], {
      egressId: egress.egressId,
    });
    if (!withEgress) {
      // Ended while LiveKit was answering (e.g. the user stopped): don't leave the egress running.
      await attempt(
        ctx,
        {
          operation: 'stopping the egress of a buffer stopped while starting',
          sessionId,
          egressId: egress.egressId,
        },
        () => ctx.egress.stopEgress(egress.egressId),
      );
      throw new ReplayBufferError(
        ReplayErrorCode.SESSION_NOT_ACTIVE,
        'The replay buffer was stopped while starting',
      );
    }
    if (egress.state === 'active') {
      return (await activateSession(ctx, withEgress, egress.startedAt ?? new Date())) ?? withEgress;
    }
    if (egress.state !== 'starting') {
      await endSession(ctx, withEgress, {
        to: 'failed',
        reason: 'egress_start_failed',
        error: egress.error ?? `egress is ${egress.state}`,
        stopEgress: false,
      });
      throw new ReplayBufferError(
        ReplayErrorCode.EGRESS_FAILED,
        `LiveKit could not start the recording: ${egress.error ?? egress.state}`,
      );
    }
    return withEgress;
  } catch (error) {
    const coded = toReplayBufferError(
      error,
      ReplayErrorCode.EGRESS_FAILED,
      'Starting the replay buffer failed',
    );
    // Nothing may stay "starting" after a failed start.
    await endSession(ctx, session, {
      to: 'failed',
      reason: 'egress_start_failed',
      error: coded.message,
      stopEgress: true,
    });
    // The record may not carry the egress id (the store failed after LiveKit started it).
    const egressId = startedEgressId;
    if (egressId) {
      await attempt(ctx, { operation: 'stopping the egress of a failed start', sessionId, egressId }, () =>
        ctx.egress.stopEgress(egressId),
      );
    }
    await attempt(ctx, { operation: 'removing the segments of a failed start', sessionId }, () =>
      deleteSegments(ctx, session),
    );
    throw coded;
  }
}

/**
 * Stops the user's buffer (`sessionId`, or the live one). Tolerates an egress LiveKit no longer
 * knows; the session is marked stopped and the user told either way. Segments stay for
 * `retainAfterStopSeconds`.
 */
export async function stopReplayBuffer(
  ctx: ManagerContext,
  raw: StopReplayBufferInput,
): Promise<ReplaySession> {
  const input = parseInput(stopInputSchema, raw, 'stop request');
  const session = await resolveSession(ctx, input.userId, input.sessionId, { recent: false });
  if (!isLive(session)) return session;
  const ended = await endSession(ctx, session, { to: 'stopped', reason: 'user', stopEgress: true });
  return ended ?? ((await ctx.sessions.get(session.id)) as ReplaySession);
}
