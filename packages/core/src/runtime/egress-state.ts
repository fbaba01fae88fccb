import type { EgressSnapshot, ReplaySession } from '../types.js';
import type { ManagerContext } from './context.js';
import { activateSession, endSession, isLive } from './session-lifecycle.js';

/**
 * What an egress state means for its session. Decided on the egress *status*, never on the
 * event name, so the order events arrive in does not matter:
 *
 * | EgressStatus  | session                                                       |
 * |---------------|---------------------------------------------------------------|
 * | STARTING      | stays `starting`                                              |
 * | ACTIVE        | `starting` → `active`                                         |
 * | ENDING        | still live (segments are being finalised)                     |
 * | COMPLETE      | → `stopped`, reason `egress_complete`                         |
 * | FAILED        | → `failed`, LiveKit's error text kept                         |
 * | ABORTED       | → `failed`, reason `egress_aborted` (LiveKit aborts an egress that could not start or lost its source before recording anything useful; the user must hear that the buffer did not run, not that they stopped it) |
 * | LIMIT_REACHED | → `stopped`, reason `limit_reached`                           |
 *
 * Terminal statuses are final: a late ACTIVE after an end never revives a session.
 */
export type EgressOutcome =
  | { kind: 'none' }
  | { kind: 'activate' }
  | { kind: 'end'; to: 'stopped' | 'failed'; reason: string; error: string | null };

export function egressOutcome(egress: Pick<EgressSnapshot, 'state' | 'error'>): EgressOutcome {
  switch (egress.state) {
    case 'starting':
    case 'ending':
      return { kind: 'none' };
    case 'active':
      return { kind: 'activate' };
    case 'complete':
      return { kind: 'end', to: 'stopped', reason: 'egress_complete', error: null };
    case 'limit_reached':
      return { kind: 'end', to: 'stopped', reason: 'limit_reached', error: egress.error };
    case 'aborted':
      return {
        kind: 'end',
        to: 'failed',
        reason: 'egress_aborted',
        error: egress.error ?? 'LiveKit aborted the recording',
      };
    default:
      return {
        kind: 'end',
        to: 'failed',
        reason: 'egress_failed',
        error: egress.error ?? 'LiveKit reported the recording as failed',
      };
  }
}

/**
 * Applies an egress state LiveKit reported to the session, with compare-and-set transitions
 * only (duplicates and stale events change nothing). `reason` overrides the end reason (jobs
 * use `reconciled` / `orphaned`). Returns whether the session changed.
 */
export async function applyEgressState(
  ctx: ManagerContext,
  session: ReplaySession,
  egress: EgressSnapshot,
  options: { reason?: string } = {},
): Promise<{ applied: boolean; session: ReplaySession }> {
  const outcome = egressOutcome(egress);
  if (outcome.kind === 'activate') {
    // A sighting clears any reconciliation strike, whatever else happens.
    let current = session;
    if (isLive(session) && session.missedSightings > 0) {
      current =
        (await ctx.sessions.patch(session.id, ['starting', 'active'], { missedSightings: 0 })) ?? current;
    }
    const active = await activateSession(ctx, current, egress.startedAt ?? new Date());
    return { applied: active !== null || current !== session, session: active ?? current };
  }
  if (outcome.kind === 'end') {
    const ended = await endSession(ctx, session, {
      to: outcome.to,
      reason: options.reason ?? outcome.reason,
      error: outcome.error,
      stopEgress: false,
      // LiveKit's own times, so every delivery order leaves the same record.
      ...(egress.endedAt ? { endedAt: egress.endedAt } : {}),
      ...(egress.startedAt && !session.startedAt ? { startedAt: egress.startedAt } : {}),
    });
    return { applied: ended !== null, session: ended ?? session };
  }
  return { applied: false, session };
}
