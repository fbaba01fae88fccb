import type { ManagerContext } from '../runtime/context.js';
import { applyEgressState, egressOutcome } from '../runtime/egress-state.js';
import { endSession } from '../runtime/session-lifecycle.js';
import type { EgressSnapshot } from '../types.js';
import { LIVE_SESSION_STATUSES } from '../types.js';
import { recordMissedSighting, recordSighting } from './egress-sightings.js';
import { exclusive, report } from './job-support.js';

export interface OrphanCleanupResult {
  /** Live sessions looked at. */
  checked: number;
  /** Sessions ended as orphans. */
  ended: string[];
  /** Sessions LiveKit did not know this time (one strike; ended on the next miss). */
  struck: string[];
  skipped: boolean;
  errors: string[];
}

/**
 * Ends live sessions nobody will end otherwise: older than `orphanAfterSeconds`, still without an
 * egress after `startTimeoutSeconds`, or whose egress LiveKit reports finished (the webhook was
 * lost) or no longer knows (see egress-sightings: the same rule as reconciliation). Segment
 * directories are the segment cleanup job's business.
 */
export async function cleanupOrphanedSessions(ctx: ManagerContext): Promise<OrphanCleanupResult> {
  const result: OrphanCleanupResult = {
    checked: 0,
    ended: [],
    struck: [],
    skipped: false,
    errors: [],
  };
  const ran = await exclusive(ctx, 'orphans', async () => {
    const now = Date.now();
    const maxAgeMs = ctx.config.orphanAfterSeconds * 1000;
    for (const session of await ctx.sessions.listByStatus(LIVE_SESSION_STATUSES)) {
      result.checked++;
      try {
        const age = now - session.createdAt.getTime();
        if (age > maxAgeMs) {
          const ended = await endSession(ctx, session, {
            to: 'stopped',
            reason: 'orphaned',
            stopEgress: true,
          });
          if (ended) result.ended.push(session.id);
          continue;
        }
        if (!session.egressId) {
          if (age > ctx.config.startTimeoutSeconds * 1000) {
            const ended = await endSession(ctx, session, {
              to: 'failed',
              reason: 'orphaned',
              error: 'The recording never started (no egress was recorded for this session)',
              stopEgress: false,
            });
            if (ended) result.ended.push(session.id);
          }
          continue;
        }
        let egress: EgressSnapshot | null;
        try {
          egress = await ctx.egress.getEgress(session.egressId);
        } catch (error) {
          // LiveKit unreachable: nothing is decided on a guess.
          report(ctx, result.errors, `looking up egress ${session.egressId}`, error);
          continue;
        }
        if (egress) {
          const outcome = egressOutcome(egress);
          if (outcome.kind === 'end') {
            const { applied } = await applyEgressState(ctx, session, egress, { reason: 'orphaned' });
            if (applied) result.ended.push(session.id);
          } else {
            await applyEgressState(ctx, session, egress);
            await recordSighting(ctx, session);
          }
          continue;
        }
        const verdict = await recordMissedSighting(ctx, session, 'orphaned');
        if (verdict === 'ended') result.ended.push(session.id);
        if (verdict === 'struck') result.struck.push(session.id);
      } catch (error) {
        report(ctx, result.errors, `checking session ${session.id}`, error);
      }
    }
    return true;
  });
  if (ran === null) result.skipped = true;
  return result;
}
