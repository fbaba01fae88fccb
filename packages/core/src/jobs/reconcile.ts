import { isReplayBufferError, ReplayErrorCode } from '../errors.js';
import { toPublicSession } from '../events.js';
import type { ManagerContext } from '../runtime/context.js';
import { notificationBase, notifyUser, reportError } from '../runtime/context.js';
import { applyEgressState } from '../runtime/egress-state.js';
import { isLive } from '../runtime/session-lifecycle.js';
import type { EgressSnapshot, ReplaySession } from '../types.js';
import { LIVE_SESSION_STATUSES } from '../types.js';
import { recordMissedSighting, recordSighting } from './egress-sightings.js';
import { exclusive, messageOf, report } from './job-support.js';

export interface ReconcileResult {
  /** Egresses LiveKit reported live. */
  listed: number;
  /** Sessions moved starting → active because LiveKit reports the egress active. */
  activated: string[];
  /** Sessions whose egress was missing this pass (first strike). */
  struck: string[];
  /** Strikes cleared because the egress reappeared. */
  cleared: string[];
  /** Sessions ended after two passes without their egress. */
  ended: string[];
  /** Sessions stopped by reconciliation, revived because LiveKit still runs their egress. */
  healed: string[];
  /** Egresses stopped at LiveKit because their session is over. */
  strayEgressesStopped: string[];
  /** True when a previous pass was still running (this one did nothing). */
  skipped: boolean;
  /** LiveKit could not be reached: nothing was changed. */
  error: string | null;
  errors: string[];
}

/** Heals a session reconciliation wrongly stopped. Null when it cannot be (user has another). */
async function healSession(
  ctx: ManagerContext,
  session: ReplaySession,
  egress: EgressSnapshot,
): Promise<ReplaySession | null> {
  let healed: ReplaySession | null;
  try {
    healed = await ctx.sessions.transition(
      session.id,
      ['stopped'],
      egress.state === 'active' ? 'active' : 'starting',
      {
        endedAt: null,
        endReason: null,
        error: null,
        missedSightings: 0,
        ...(session.startedAt === null && egress.startedAt ? { startedAt: egress.startedAt } : {}),
      },
    );
  } catch (error) {
    if (isReplayBufferError(error, ReplayErrorCode.ALREADY_ACTIVE)) return null;
    throw error;
  }
  if (!healed) return null;
  ctx.events.emit('session:active', healed);
  // The user was told the buffer stopped; tell them it runs again.
  await notifyUser(ctx, {
    ...notificationBase(healed),
    type: 'REPLAY_BUFFER_STARTED',
    session: toPublicSession(healed),
  });
  return healed;
}

/**
 * Compares the store with what LiveKit reports live (one ListEgress):
 * - a live session LiveKit lists: activated if it was still `starting` (egress_started was
 *   lost); a reconciliation strike is cleared;
 * - a live session LiveKit does not list: one strike; on the second pass in a row it is ended
 *   (with LiveKit's verdict and error text when it still knows the egress, else `stopped`,
 *   reason `reconciled`); its egress is not stopped, so a wrong verdict can be healed;
 * - a listed egress whose session reconciliation stopped (and whose segments are still kept):
 *   healed by compare-and-set stopped → active;
 * - a listed egress whose session ended for another reason (e.g. a user stop whose StopEgress
 *   failed): stopped at LiveKit. Egresses of no session of ours are left alone.
 * When LiveKit cannot be reached, nothing changes and `error` says why.
 */
export async function reconcileEgressStatus(ctx: ManagerContext): Promise<ReconcileResult> {
  const result: ReconcileResult = {
    listed: 0,
    activated: [],
    struck: [],
    cleared: [],
    ended: [],
    healed: [],
    strayEgressesStopped: [],
    skipped: false,
    error: null,
    errors: [],
  };
  const ran = await exclusive(ctx, 'reconcile', async () => {
    // Sessions first: a session read here had its egress id before LiveKit was asked, so a
    // start racing with this pass is never counted as a miss.
    const liveSessions = await ctx.sessions.listByStatus(LIVE_SESSION_STATUSES);
    let listed: EgressSnapshot[];
    try {
      listed = await ctx.egress.listActiveEgress();
    } catch (error) {
      result.error = `LiveKit could not be reached to list egresses; nothing was changed (${messageOf(error)})`;
      reportError(ctx, error, { operation: 'listing egresses for reconciliation' });
      return true;
    }
    result.listed = listed.length;
    const byEgressId = new Map(listed.map((egress) => [egress.egressId, egress]));
    const liveEgressIds = new Set<string>();

    for (const session of liveSessions) {
      if (!session.egressId) continue; // still starting: the orphan job times these out
      liveEgressIds.add(session.egressId);
      try {
        const seen = byEgressId.get(session.egressId);
        if (seen) {
          if (await recordSighting(ctx, session)) result.cleared.push(session.id);
          const { applied, session: after } = await applyEgressState(ctx, session, seen);
          if (applied && session.status === 'starting' && after.status === 'active') {
            result.activated.push(session.id);
          }
          continue;
        }
        const verdict = await recordMissedSighting(ctx, session, 'reconciled');
        if (verdict === 'struck') result.struck.push(session.id);
        if (verdict === 'ended') result.ended.push(session.id);
      } catch (error) {
        report(ctx, result.errors, `reconciling session ${session.id}`, error);
      }
    }

    const retainedSince = Date.now() - ctx.config.retainAfterStopSeconds * 1000;
    for (const egress of listed) {
      if (liveEgressIds.has(egress.egressId)) continue;
      try {
        const session = await ctx.sessions.findByEgressId(egress.egressId);
        if (!session || isLive(session)) continue;
        const healable =
          session.status === 'stopped' &&
          session.endReason === 'reconciled' &&
          (session.endedAt?.getTime() ?? 0) >= retainedSince;
        if (healable && (await healSession(ctx, session, egress))) {
          result.healed.push(session.id);
          continue;
        }
        await ctx.egress.stopEgress(egress.egressId);
        result.strayEgressesStopped.push(egress.egressId);
      } catch (error) {
        report(ctx, result.errors, `reconciling egress ${egress.egressId}`, error);
      }
    }
    return true;
  });
  if (ran === null) result.skipped = true;
  return result;
}
