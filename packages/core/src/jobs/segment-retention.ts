import { rm } from 'node:fs/promises';
import path from 'node:path';
import { isSafeId } from '../ids.js';
import type { ManagerContext } from '../runtime/context.js';
import { isLive, readSessionIndex, segmentSourceOf } from '../runtime/session-lifecycle.js';
import { isSweepCandidate, newestActivityMs } from '../segments/directory-sweep.js';
import { retentionVictims } from '../segments/retention.js';
import type { ReplaySession } from '../types.js';
import { report } from './job-support.js';

export interface TrimResult {
  segmentsDeleted: number;
  bytesFreed: number;
}

/** How far back a live session's segments are kept: the buffer plus the grace period. */
export function retentionWindowMs(ctx: ManagerContext): number {
  return (ctx.config.bufferDurationSeconds + ctx.config.segmentGraceSeconds) * 1000;
}

/**
 * Deletes a live session's segments that ended before the rolling window, through the
 * session's source (files, or objects in `DeleteObjects` batches). Playlists stay (the index
 * skips listed segments that are gone); segments still being written are never touched.
 */
export async function trimSessionSegments(
  ctx: ManagerContext,
  session: ReplaySession,
  now = Date.now(),
): Promise<TrimResult> {
  const cutoff = now - retentionWindowMs(ctx);
  const source = segmentSourceOf(ctx, session);
  const victims = retentionVictims(await readSessionIndex(ctx, session, source), cutoff);
  if (victims.length === 0) return { segmentsDeleted: 0, bytesFreed: 0 };
  // Already gone (another instance, the watcher) counts as deleted: the space is free either way.
  const segmentsDeleted = await source.deleteSegments(victims);
  return { segmentsDeleted, bytesFreed: victims.reduce((sum, v) => sum + v.sizeBytes, 0) };
}

export interface DirectorySweepResult {
  /** Directories of sessions that ended more than `retainAfterStopSeconds` ago. */
  expired: number;
  /** Directories no session refers to, idle past `unreferencedDirGraceSeconds`. */
  unreferenced: number;
}

/**
 * Walks the session directories under the segments root (a directory, or the key prefix of a
 * bucket), so the cost follows what is stored, not how many sessions the store has ever held,
 * and deletes those of sessions past retention. For a local root it also deletes directories no
 * session refers to (crashes, expired records) once nothing was written in them for the grace
 * period; only a directory whose name is exactly a session's directory is protected. A bucket
 * has no cheap "last written" per prefix: its backstop for unreferenced prefixes is a lifecycle
 * rule on the bucket (expire objects under the prefix after a day or so).
 */
export async function sweepSegmentDirectories(
  ctx: ManagerContext,
  errors: string[] = [],
  now = Date.now(),
): Promise<DirectorySweepResult> {
  const result: DirectorySweepResult = { expired: 0, unreferenced: 0 };
  let dirs: string[];
  try {
    dirs = await ctx.segments.listDirs();
  } catch (error) {
    report(ctx, errors, 'listing the segments root', error);
    return result;
  }
  const retainedSince = now - ctx.config.retainAfterStopSeconds * 1000;
  const graceMs = ctx.config.unreferencedDirGraceSeconds * 1000;
  for (const name of dirs) {
    try {
      const session = isSafeId(name) ? await ctx.sessions.get(name) : null;
      if (session && session.segmentDir === name) {
        if (isLive(session) || session.endedAt === null || session.endedAt.getTime() >= retainedSince)
          continue;
        await ctx.segments.deleteLayout({ dir: name });
        result.expired++;
        continue;
      }
      if (!ctx.segments.local) continue; // the bucket's lifecycle rule covers these
      if (!ctx.config.sweepUnreferencedDirs || !isSweepCandidate(name)) continue; // not ours to delete
      const dir = path.join(ctx.config.segmentsDir, name);
      if (now - (await newestActivityMs(dir)) < graceMs) continue;
      // A session created since the lookup above protects its directory too.
      if ((await ctx.sessions.get(name))?.segmentDir === name) continue;
      await rm(dir, { recursive: true, force: true });
      result.unreferenced++;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      report(ctx, errors, `sweeping ${name}`, error);
    }
  }
  return result;
}
