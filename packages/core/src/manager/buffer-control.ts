import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode, toReplayBufferError } from '../errors.js';
import { newId } from '../ids.js';
import type { ReplaySession } from '../types.js';
import type { ManagerContext } from './context.js';
import {
  parseInput,
  type StartReplayBufferInput,
  type StopReplayBufferInput,
  startInputSchema,
  stopInputSchema,
} from './inputs.js';
import {
  activateSession,
  authorizeOrThrow,
  deleteSegments,
  endSession,
  isLive,
  LIVE_PLAYLIST_NAME,
  loadOwnedSession,
  PLAYLIST_NAME,
  SEGMENT_PREFIX,
  segmentDirOf,
} from './session-lifecycle.js';

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

  if (input.replaceExisting) {
    const existing = await ctx.sessions.findLiveByUser(input.userId);
    if (existing) await endSession(ctx, existing, { to: 'stopped', reason: 'replaced', stopEgress: true });
  }

  const sessionId = newId('rs');
  const session = await ctx.sessions.create(
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
  );
  ctx.events.emit('session:started', session);

  let startedEgressId: string | null = null;
  try {
    await mkdir(segmentDirOf(ctx, session), { recursive: true });
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
      await ctx.egress.stopEgress(egress.egressId).catch(() => undefined);
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
    if (startedEgressId) await ctx.egress.stopEgress(startedEgressId).catch(() => undefined);
    await deleteSegments(ctx, session).catch(() => undefined);
    throw coded;
  }
}

/**
 * Stops the user's buffer. Tolerates an egress LiveKit no longer knows; the session is marked
 * stopped and the user told either way. Segments stay for `retainAfterStopSeconds`.
 */
export async function stopReplayBuffer(
  ctx: ManagerContext,
  raw: StopReplayBufferInput,
): Promise<ReplaySession> {
  const input = parseInput(stopInputSchema, raw, 'stop request');
  const session = await loadOwnedSession(ctx, input.sessionId, input.userId);
  if (!isLive(session)) return session;
  const ended = await endSession(ctx, session, { to: 'stopped', reason: 'user', stopEgress: true });
  return ended ?? ((await ctx.sessions.get(session.id)) as ReplaySession);
}
