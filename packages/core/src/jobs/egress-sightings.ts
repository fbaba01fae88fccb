import type { ManagerContext } from '../runtime/context.js';
import { egressOutcome } from '../runtime/egress-state.js';
import { endSession } from '../runtime/session-lifecycle.js';
import { type EgressSnapshot, LIVE_SESSION_STATUSES, type ReplaySession } from '../types.js';

/**
 * The one place that decides what it means when LiveKit does not report a live session's
 * egress (ListEgress or a lookup). Misses happen transiently, so one is only a strike; the
 * session ends on the second miss in a row, and a sighting in between clears the strike.
 */
export const MISSED_SIGHTINGS_TO_END = 2;

/** LiveKit reported the egress: clears a strike. True when there was one. */
export async function recordSighting(ctx: ManagerContext, session: ReplaySession): Promise<boolean> {
  if (session.missedSightings === 0) return false;
  return (await ctx.sessions.patch(session.id, LIVE_SESSION_STATUSES, { missedSightings: 0 })) !== null;
}

/**
 * LiveKit did not report the egress. First miss: a strike (`struck`). Second in a row: the
 * session ends (`ended`) with LiveKit's own verdict and error text when it still knows the
 * egress, else `stopped`; the egress is not stopped, so reconciliation can heal a wrong verdict.
 * `reason` names the job that noticed. `unchanged`: someone else changed the session meanwhile.
 */
export async function recordMissedSighting(
  ctx: ManagerContext,
  session: ReplaySession,
  reason: 'reconciled' | 'orphaned',
): Promise<'struck' | 'ended' | 'unchanged'> {
  const misses = session.missedSightings + 1;
  if (misses < MISSED_SIGHTINGS_TO_END) {
    const struck = await ctx.sessions.patch(session.id, LIVE_SESSION_STATUSES, { missedSightings: misses });
    return struck ? 'struck' : 'unchanged';
  }
  let detail: EgressSnapshot | null = null;
  if (session.egressId) {
    // Only for the error text: unreachable means no verdict, and the session ends as stopped.
    detail = await ctx.egress.getEgress(session.egressId).catch(() => null);
  }
  const outcome = detail ? egressOutcome(detail) : null;
  const ended =
    outcome?.kind === 'end'
      ? await endSession(ctx, session, {
          to: outcome.to,
          reason,
          error: outcome.error,
          stopEgress: false,
          ...(detail?.endedAt ? { endedAt: detail.endedAt } : {}),
        })
      : await endSession(ctx, session, { to: 'stopped', reason, stopEgress: false });
  return ended ? 'ended' : 'unchanged';
}
