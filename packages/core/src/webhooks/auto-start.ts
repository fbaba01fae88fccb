/**
 * Server-driven start/stop: LiveKit's room webhooks drive the buffer, so no browser code is
 * needed and a crashed tab cannot strand a buffer. On when the host app maps participants to its
 * users (`hooks.resolveParticipant`).
 *
 * - `track_published`, source SCREEN_SHARE → start the participant's buffer (replacing any other).
 * - `track_published`, source SCREEN_SHARE_AUDIO → a Track Composite egress takes its tracks at
 *   start and cannot add one later, so a live video-only buffer of that share is restarted with
 *   the audio (the browser publishes both at once, so this happens within about a second; the
 *   video-only segments stay saveable for the retention period). Audio that arrives before its
 *   video is remembered briefly and used by the start.
 * - `track_unpublished` of that SCREEN_SHARE, or `participant_left` → stop the buffer.
 *
 * Duplicated and late webhooks change nothing: every step compares track ids with the live
 * session first.
 */
import { startReplayBuffer, stopReplayBuffer } from '../buffer/buffer-control.js';
import type { VerifiedWebhook } from '../livekit/webhook-receiver.js';
import type { ManagerContext, ResolveParticipantHook } from '../runtime/context.js';
import type { ReplaySession, SessionStatus } from '../types.js';

/** The room webhooks this handles. */
export const AUTO_START_EVENTS = ['track_published', 'track_unpublished', 'participant_left'] as const;

export function isAutoStartEvent(event: string): boolean {
  return (AUTO_START_EVENTS as readonly string[]).includes(event);
}

/** The parts of a verified room webhook auto-start reads. */
export type RoomTrackWebhook = Pick<VerifiedWebhook, 'event' | 'roomName' | 'participantIdentity' | 'track'>;

export type AutoStartAction = 'started' | 'restarted_with_audio' | 'stopped' | 'none';

export interface AutoStartResult {
  action: AutoStartAction;
  userId: string | null;
  sessionId: string | null;
  /** Why nothing was done, when `action` is `none`. */
  reason?: 'not_screen_share' | 'not_ours' | 'duplicate' | 'no_live_buffer' | 'audio_remembered';
}

/** Screen-share audio seen before its video, per manager and room + identity (one process; seconds-lived). */
const EARLY_AUDIO_TTL_MS = 30_000;
const earlyAudioByManager = new WeakMap<ManagerContext, Map<string, { sid: string; at: number }>>();

function earlyAudioOf(ctx: ManagerContext): Map<string, { sid: string; at: number }> {
  let map = earlyAudioByManager.get(ctx);
  if (!map) {
    map = new Map();
    earlyAudioByManager.set(ctx, map);
  }
  return map;
}

const key = (roomName: string, identity: string) => `${roomName}\u0000${identity}`;

function takeEarlyAudio(ctx: ManagerContext, roomName: string, identity: string): string | undefined {
  const earlyAudio = earlyAudioOf(ctx);
  const entry = earlyAudio.get(key(roomName, identity));
  earlyAudio.delete(key(roomName, identity));
  return entry && Date.now() - entry.at < EARLY_AUDIO_TTL_MS ? entry.sid : undefined;
}

function none(reason: AutoStartResult['reason'], userId: string | null = null): AutoStartResult {
  return { action: 'none', userId, sessionId: null, reason };
}

/** Source dimensions from the track, when LiveKit reported plausible ones. */
function dimensions(track: NonNullable<RoomTrackWebhook['track']>) {
  return track.width >= 16 && track.height >= 16
    ? { sourceDimensions: { width: track.width, height: track.height } }
    : {};
}

function sameShare(live: ReplaySession | null, roomName: string): live is ReplaySession {
  return live !== null && live.roomName === roomName;
}

/** `handleWebhook`'s result for a room webhook (same shape; declared here to keep imports one-way). */
export interface RoomWebhookResult {
  event: string;
  egressId: string | null;
  sessionId: string | null;
  applied: boolean;
  status: SessionStatus | null;
  autoStart: AutoStartResult;
  ignored?: 'no_change';
}

/** Applies one verified room webhook to the participant's buffer; `autoStart` says what was done. */
export async function handleRoomWebhook(
  ctx: ManagerContext,
  resolveParticipant: ResolveParticipantHook,
  webhook: RoomTrackWebhook,
): Promise<RoomWebhookResult> {
  const result = await applyRoomWebhook(ctx, resolveParticipant, webhook);
  const session = result.sessionId ? await ctx.sessions.get(result.sessionId) : null;
  return {
    event: webhook.event,
    egressId: session?.egressId ?? null,
    sessionId: result.sessionId,
    applied: result.action !== 'none',
    status: session?.status ?? null,
    autoStart: result,
    ...(result.action === 'none' ? { ignored: 'no_change' as const } : {}),
  };
}

async function applyRoomWebhook(
  ctx: ManagerContext,
  resolveParticipant: ResolveParticipantHook,
  webhook: RoomTrackWebhook,
): Promise<AutoStartResult> {
  const { event, roomName, participantIdentity: identity, track } = webhook;
  if (!roomName || !identity) return none('not_screen_share');
  const screenTrack = track && track.source !== 'other' ? track : null;
  if (event !== 'participant_left' && !screenTrack) return none('not_screen_share');

  const who = await resolveParticipant({ roomName, identity });
  if (!who) return none('not_ours');
  const { userId } = who;
  const live = await ctx.sessions.findLiveByUser(userId);
  const owner = {
    userId,
    roomName,
    ...(who.channelId ? { channelId: who.channelId } : {}),
    ...(who.communityId ? { communityId: who.communityId } : {}),
  };

  if (
    event === 'participant_left' ||
    (event === 'track_unpublished' && screenTrack?.source === 'screen_share')
  ) {
    if (event === 'participant_left') earlyAudioOf(ctx).delete(key(roomName, identity));
    if (!sameShare(live, roomName)) return none('no_live_buffer', userId);
    if (screenTrack && live.videoTrackId !== screenTrack.sid) return none('duplicate', userId);
    const stopped = await stopReplayBuffer(ctx, { userId, sessionId: live.id });
    return { action: 'stopped', userId, sessionId: stopped.id };
  }
  if (event === 'track_unpublished') {
    // The audio ends before its video when sharing stops; the video's event stops the buffer.
    earlyAudioOf(ctx).delete(key(roomName, identity));
    return none('duplicate', userId);
  }
  if (event !== 'track_published' || !screenTrack) return none('not_screen_share', userId);

  if (screenTrack.source === 'screen_share') {
    if (sameShare(live, roomName) && live.videoTrackId === screenTrack.sid) return none('duplicate', userId);
    const audioTrackId = takeEarlyAudio(ctx, roomName, identity);
    const started = await startReplayBuffer(ctx, {
      ...owner,
      videoTrackId: screenTrack.sid,
      ...(audioTrackId ? { audioTrackId } : {}),
      ...dimensions(screenTrack),
      replace: true,
    });
    return { action: 'started', userId, sessionId: started.id };
  }

  // SCREEN_SHARE_AUDIO
  if (!sameShare(live, roomName)) {
    earlyAudioOf(ctx).set(key(roomName, identity), { sid: screenTrack.sid, at: Date.now() });
    return none('audio_remembered', userId);
  }
  if (live.audioTrackId !== null) return none('duplicate', userId);
  const restarted = await startReplayBuffer(ctx, {
    ...owner,
    videoTrackId: live.videoTrackId,
    audioTrackId: screenTrack.sid,
    quality: live.quality,
    replace: true,
  });
  return { action: 'restarted_with_audio', userId, sessionId: restarted.id };
}
