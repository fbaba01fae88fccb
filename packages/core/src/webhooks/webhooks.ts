import path from 'node:path';
import { SAFE_ID_PATTERN } from '../ids.js';
import { type VerifiedWebhook, verifyLiveKitWebhook } from '../livekit/webhook-receiver.js';
import type { ManagerContext } from '../runtime/context.js';
import { applyEgressState } from '../runtime/egress-state.js';
import { isLive } from '../runtime/session-lifecycle.js';
import type { EgressSnapshot, ReplaySession, SessionStatus } from '../types.js';
import { type AutoStartResult, handleRoomWebhook, isAutoStartEvent } from './auto-start.js';

/** The webhook events that carry an egress (all others are acknowledged and ignored). */
export const EGRESS_WEBHOOK_EVENTS = ['egress_started', 'egress_updated', 'egress_ended'] as const;

export type WebhookIgnoredReason =
  /** Not an egress event (room_started, participant_left, track_unpublished, …). */
  | 'not_egress_event'
  /** No session of ours uses this egress (another app's egress, or a record already deleted). */
  | 'unknown_egress'
  /** The session is already where this event would take it (duplicate, late or stale event). */
  | 'no_change'
  /**
   * The egress belongs to a session whose start gave up before learning the egress id (e.g. the
   * start call timed out while LiveKit did start it); the egress was stopped.
   */
  | 'stray_egress_stopped';

/** What `handleWebhook` did with one delivery. */
export interface WebhookResult {
  event: string;
  egressId: string | null;
  sessionId: string | null;
  /** True when the event changed the session. */
  applied: boolean;
  /** The session's status after the event (null without a session). */
  status: SessionStatus | null;
  /** Why nothing changed, when `applied` is false. */
  ignored?: WebhookIgnoredReason;
  /** What a room webhook did to a buffer (server-driven start, `hooks.resolveParticipant`). */
  autoStart?: AutoStartResult;
}

/** The session directory LiveKit was told to write into (`<root>/<sessionDir>/<prefix>`). */
function sessionDirFromEgress(prefix: string | null): string | null {
  if (!prefix) return null;
  const dir = path.posix.basename(path.posix.dirname(prefix));
  return SAFE_ID_PATTERN.test(dir) ? dir : null;
}

/**
 * The session an egress belongs to: by egress id, or — when the event outran the start call
 * that records the id — by the session directory in the egress request, if that session is
 * waiting for exactly this egress in this room.
 */
async function findSessionForEgress(
  ctx: ManagerContext,
  info: EgressSnapshot,
  filenamePrefix: string | null,
): Promise<{ session: ReplaySession; linked: boolean; stray?: boolean } | null> {
  const byId = await ctx.sessions.findByEgressId(info.egressId);
  if (byId) return { session: byId, linked: false };
  const dir = sessionDirFromEgress(filenamePrefix);
  if (!dir) return null;
  const candidate = await ctx.sessions.get(dir);
  if (!candidate || candidate.segmentDir !== dir || candidate.roomName !== info.roomName) return null;
  if (candidate.egressId !== null) return null;
  // The start call gave up (e.g. timed out) although LiveKit started the egress.
  if (!isLive(candidate)) return { session: candidate, linked: false, stray: true };
  if (candidate.status !== 'starting') return null;
  const linked = await ctx.sessions.patch(candidate.id, ['starting'], { egressId: info.egressId });
  if (linked?.egressId === info.egressId) return { session: linked, linked: true };
  // Lost a race with the start call: trust whatever it recorded.
  const again = await ctx.sessions.findByEgressId(info.egressId);
  return again ? { session: again, linked: false } : null;
}

/**
 * Handles one LiveKit webhook: verifies the signature (WEBHOOK_INVALID otherwise, nothing
 * changes), then applies egress events idempotently and order-independently.
 */
export async function handleWebhook(
  ctx: ManagerContext,
  raw: { body: string | Uint8Array; authorization: string | undefined },
): Promise<WebhookResult> {
  const verified: VerifiedWebhook = await verifyLiveKitWebhook(
    ctx.config.livekit,
    raw.body,
    raw.authorization,
  );
  const { event, egress: egressInfo } = verified;
  if (ctx.resolveParticipant && isAutoStartEvent(event))
    return handleRoomWebhook(ctx, ctx.resolveParticipant, verified);
  if (!(EGRESS_WEBHOOK_EVENTS as readonly string[]).includes(event) || !egressInfo?.egressId) {
    return {
      event,
      egressId: egressInfo?.egressId || null,
      sessionId: null,
      applied: false,
      status: null,
      ignored: 'not_egress_event',
    };
  }
  const found = await findSessionForEgress(ctx, egressInfo, verified.filenamePrefix);
  if (!found) {
    return {
      event,
      egressId: egressInfo.egressId,
      sessionId: null,
      applied: false,
      status: null,
      ignored: 'unknown_egress',
    };
  }
  const { session, linked } = found;
  const egress = egressInfo;
  if (found.stray) {
    const running = egress.state === 'starting' || egress.state === 'active';
    if (running) await ctx.egress.stopEgress(egress.egressId);
    return {
      event,
      egressId: egress.egressId,
      sessionId: session.id,
      applied: false,
      status: session.status,
      ignored: running ? 'stray_egress_stopped' : 'no_change',
    };
  }
  const result = await applyEgressState(ctx, session, egress);
  const applied = result.applied || linked;
  const after = result.session;
  return {
    event,
    egressId: egressInfo.egressId,
    sessionId: session.id,
    applied,
    status: after.status,
    ...(applied ? {} : { ignored: 'no_change' as const }),
  };
}
