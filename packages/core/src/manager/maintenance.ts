import type { Dirent } from 'node:fs';
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isReplayBufferError, ReplayErrorCode } from '../errors.js';
import { toPublicSession } from '../events.js';
import { isSafeId } from '../ids.js';
import { redactPaths } from '../redact-paths.js';
import { isSweepCandidate, newestActivityMs } from '../segments/directory-sweep.js';
import { retentionVictims } from '../segments/retention.js';
import type { EgressSnapshot, ReplaySession } from '../types.js';
import { LIVE_SESSION_STATUSES } from '../types.js';
import type { ManagerContext } from './context.js';
import { notifyUser } from './context.js';
import { sweepPreviewCaches } from './preview.js';
import { endSession, isLive, readSessionIndex } from './session-lifecycle.js';
import { applyEgressState, egressOutcome } from './webhooks.js';

/** A session whose egress LiveKit has not seen this many passes in a row is ended. */
export const MISSED_SIGHTINGS_TO_END = 2;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function report(ctx: ManagerContext, errors: string[], what: string, error: unknown): void {
  const text = redactPaths(`${what}: ${messageOf(error)}`, [ctx.config.segmentsDir, ctx.config.clipsDir]);
  errors.push(text);
  ctx.events.emit('error', error instanceof Error ? error : new Error(text));
}

// Passes in progress, per manager: a tick that finds its job still running skips.
const running = new WeakMap<ManagerContext, Set<string>>();

async function exclusive<T>(ctx: ManagerContext, job: string, run: () => Promise<T>): Promise<T | null> {
  let jobs = running.get(ctx);
  if (!jobs) {
    jobs = new Set();
    running.set(ctx, jobs);
  }
  if (jobs.has(job)) return null;
  jobs.add(job);
  try {
    return await run();
  } finally {
    jobs.delete(job);
  }
}

// ── Segments ───────────────────────────────────────────────────────────────────────────

export interface TrimResult {
  segmentsDeleted: number;
  bytesFreed: number;
}

/** How far back a live session's segments are kept: the buffer plus the grace period. */
export function retentionWindowMs(ctx: ManagerContext): number {
  return (ctx.config.bufferDurationMinutes * 60 + ctx.config.segmentGraceSeconds) * 1000;
}

/**
 * Deletes a live session's segments that ended before the rolling window. Playlists stay (the
 * index skips listed files that are gone); segments still being written are never touched.
 */
export async function trimSessionSegments(
  ctx: ManagerContext,
  session: ReplaySession,
  now = Date.now(),
): Promise<TrimResult> {
  const cutoff = now - retentionWindowMs(ctx);
  const snapshot = await readSessionIndex(ctx, session);
  const result: TrimResult = { segmentsDeleted: 0, bytesFreed: 0 };
  for (const segment of retentionVictims(snapshot, cutoff)) {
    try {
      await unlink(segment.path);
      result.segmentsDeleted++;
      result.bytesFreed += segment.sizeBytes;
    } catch (error) {
      // Someone else (another instance, the watcher) got there first.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return result;
}

export interface DirectorySweepResult {
  /** Directories of sessions that ended more than `retainAfterStopSeconds` ago. */
  expired: number;
  /** Directories no session refers to, idle past `unreferencedDirGraceSeconds`. */
  unreferenced: number;
}

/**
 * Walks the directories under the segments root (so the cost follows what is on disk, not how
 * many sessions the store has ever held) and deletes those of sessions past retention, and
 * those no session refers to (crashes, expired records) once nothing was written in them for
 * the grace period. Only a directory whose name is exactly a session's directory is protected.
 */
export async function sweepSegmentDirectories(
  ctx: ManagerContext,
  errors: string[] = [],
  now = Date.now(),
): Promise<DirectorySweepResult> {
  const result: DirectorySweepResult = { expired: 0, unreferenced: 0 };
  const root = ctx.config.segmentsDir;
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      report(ctx, errors, 'listing the segments root', error);
    return result;
  }
  const retainedSince = now - ctx.config.retainAfterStopSeconds * 1000;
  const graceMs = ctx.config.unreferencedDirGraceSeconds * 1000;
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    try {
      const session = isSafeId(entry.name) ? await ctx.sessions.get(entry.name) : null;
      if (session && session.segmentDir === entry.name) {
        if (isLive(session) || session.endedAt === null || session.endedAt.getTime() >= retainedSince)
          continue;
        await rm(dir, { recursive: true, force: true });
        result.expired++;
        continue;
      }
      if (!ctx.config.sweepUnreferencedDirs || !isSweepCandidate(entry.name)) continue; // not ours to delete
      if (now - (await newestActivityMs(dir)) < graceMs) continue;
      // A session created since the lookup above protects its directory too.
      if (isSafeId(entry.name) && (await ctx.sessions.get(entry.name))?.segmentDir === entry.name) continue;
      await rm(dir, { recursive: true, force: true });
      result.unreferenced++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      report(ctx, errors, `sweeping ${dir}`, error);
    }
  }
  return result;
}

export interface SegmentCleanupResult {
  /** Live sessions whose window was trimmed. */
  sessionsTrimmed: number;
  segmentsDeleted: number;
  bytesFreed: number;
  /** Whole directories of sessions past `retainAfterStopSeconds`. */
  expiredSessionDirsDeleted: number;
  /** Directories no session refers to, past the grace period. */
  unreferencedDirsDeleted: number;
  /** Preview caches (clipsDir/.preview/<session>) of sessions gone or past retention. */
  previewCachesDeleted: number;
  /** Crash leftovers in the clips directory: partial clip writes and capture work dirs. */
  staleClipFilesDeleted: number;
  /** True when a previous pass was still running (this one did nothing). */
  skipped: boolean;
  errors: string[];
}

/** Capture scratch space and partial writes older than this are crash leftovers. */
const STALE_CLIP_FILES_MS = 3_600_000;

/** Removes capture work directories (clipsDir/.work/<capture>) left by a crash. */
async function sweepStaleWorkDirs(ctx: ManagerContext, now: number): Promise<number> {
  const root = path.join(ctx.config.clipsDir, '.work');
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const entry of entries) {
    const dir = path.join(root, entry.name);
    const info = await stat(dir).catch(() => null);
    if (!info || now - info.mtimeMs < STALE_CLIP_FILES_MS) continue;
    await rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * Keeps the disk to the buffer: trims every live session to its rolling window, deletes the
 * directories of sessions past retention, and sweeps unreferenced directories.
 */
export async function cleanupOldSegments(ctx: ManagerContext): Promise<SegmentCleanupResult> {
  const result: SegmentCleanupResult = {
    sessionsTrimmed: 0,
    segmentsDeleted: 0,
    bytesFreed: 0,
    expiredSessionDirsDeleted: 0,
    unreferencedDirsDeleted: 0,
    previewCachesDeleted: 0,
    staleClipFilesDeleted: 0,
    skipped: false,
    errors: [],
  };
  const ran = await exclusive(ctx, 'segments', async () => {
    const now = Date.now();
    for (const session of await ctx.sessions.listByStatus(LIVE_SESSION_STATUSES)) {
      try {
        const trimmed = await trimSessionSegments(ctx, session, now);
        if (trimmed.segmentsDeleted > 0) result.sessionsTrimmed++;
        result.segmentsDeleted += trimmed.segmentsDeleted;
        result.bytesFreed += trimmed.bytesFreed;
      } catch (error) {
        report(ctx, result.errors, `trimming session ${session.id}`, error);
      }
    }
    const swept = await sweepSegmentDirectories(ctx, result.errors, now);
    result.expiredSessionDirsDeleted = swept.expired;
    result.unreferencedDirsDeleted = swept.unreferenced;
    try {
      result.previewCachesDeleted = await sweepPreviewCaches(ctx, now);
    } catch (error) {
      report(ctx, result.errors, 'sweeping preview caches', error);
    }
    try {
      // Local storage keeps partial writes beside the clips; other storages clean up themselves.
      const storage = ctx.storage as {
        sweepPartialWrites?: (olderThanMs: number, now?: number) => Promise<number>;
      };
      if (typeof storage.sweepPartialWrites === 'function') {
        result.staleClipFilesDeleted += await storage.sweepPartialWrites(STALE_CLIP_FILES_MS, now);
      }
      result.staleClipFilesDeleted += await sweepStaleWorkDirs(ctx, now);
    } catch (error) {
      report(ctx, result.errors, 'sweeping clip leftovers', error);
    }
    return true;
  });
  if (ran === null) result.skipped = true;
  return result;
}

// ── Orphans ────────────────────────────────────────────────────────────────────────────

export interface OrphanCleanupResult {
  /** Live sessions looked at. */
  checked: number;
  /** Sessions ended as orphans. */
  ended: string[];
  /** Sessions LiveKit did not know this time (one strike; ended on the next miss). */
  struck: string[];
  /** Segment directories deleted because their session ended more than the retention ago. */
  expiredSessionDirsDeleted: number;
  /** Directories no session refers to, past the grace period. */
  unreferencedDirsDeleted: number;
  skipped: boolean;
  errors: string[];
}

/**
 * Ends live sessions nobody will end otherwise: older than `orphanAfterHours`, still without an
 * egress after `startTimeoutSeconds`, or whose egress LiveKit reports finished (the webhook was
 * lost) or no longer knows (two lookups in a row, like reconciliation). Then deletes the
 * segments of sessions past retention.
 */
export async function cleanupOrphanedSessions(ctx: ManagerContext): Promise<OrphanCleanupResult> {
  const result: OrphanCleanupResult = {
    checked: 0,
    ended: [],
    struck: [],
    expiredSessionDirsDeleted: 0,
    unreferencedDirsDeleted: 0,
    skipped: false,
    errors: [],
  };
  const ran = await exclusive(ctx, 'orphans', async () => {
    const now = Date.now();
    const maxAgeMs = ctx.config.orphanAfterHours * 3_600_000;
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
            if (session.missedSightings > 0) {
              await ctx.sessions.patch(session.id, LIVE_SESSION_STATUSES, { missedSightings: 0 });
            }
          }
          continue;
        }
        const misses = session.missedSightings + 1;
        if (misses >= MISSED_SIGHTINGS_TO_END) {
          const ended = await endSession(ctx, session, {
            to: 'stopped',
            reason: 'orphaned',
            stopEgress: true,
          });
          if (ended) result.ended.push(session.id);
        } else {
          await ctx.sessions.patch(session.id, LIVE_SESSION_STATUSES, { missedSightings: misses });
          result.struck.push(session.id);
        }
      } catch (error) {
        report(ctx, result.errors, `checking session ${session.id}`, error);
      }
    }
    const swept = await sweepSegmentDirectories(ctx, result.errors, now);
    result.expiredSessionDirsDeleted = swept.expired;
    result.unreferencedDirsDeleted = swept.unreferenced;
    return true;
  });
  if (ran === null) result.skipped = true;
  return result;
}

// ── Reconciliation ─────────────────────────────────────────────────────────────────────

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
    type: 'REPLAY_BUFFER_STARTED',
    userId: healed.userId,
    sessionId: healed.id,
    at: new Date().toISOString(),
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
      ctx.events.emit('error', error instanceof Error ? error : new Error(result.error));
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
          if (session.missedSightings > 0) {
            await ctx.sessions.patch(session.id, LIVE_SESSION_STATUSES, { missedSightings: 0 });
            result.cleared.push(session.id);
          }
          const { applied, session: after } = await applyEgressState(ctx, session, seen);
          if (applied && session.status === 'starting' && after.status === 'active') {
            result.activated.push(session.id);
          }
          continue;
        }
        const misses = session.missedSightings + 1;
        if (misses < MISSED_SIGHTINGS_TO_END) {
          const struck = await ctx.sessions.patch(session.id, LIVE_SESSION_STATUSES, {
            missedSightings: misses,
          });
          if (struck) result.struck.push(session.id);
          continue;
        }
        // LiveKit's own verdict, when it still knows the egress, keeps the error text.
        let detail: EgressSnapshot | null = null;
        try {
          detail = await ctx.egress.getEgress(session.egressId);
        } catch {
          detail = null;
        }
        const outcome = detail ? egressOutcome(detail) : null;
        const ended =
          outcome?.kind === 'end'
            ? await endSession(ctx, session, {
                to: outcome.to,
                reason: 'reconciled',
                error: outcome.error,
                stopEgress: false,
                ...(detail?.endedAt ? { endedAt: detail.endedAt } : {}),
              })
            : await endSession(ctx, session, { to: 'stopped', reason: 'reconciled', stopEgress: false });
        if (ended) result.ended.push(session.id);
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
