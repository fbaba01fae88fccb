import type { Dirent } from 'node:fs';
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isSafeId } from '../ids.js';
import type { ManagerContext } from '../runtime/context.js';
import { isLive, readSessionIndex } from '../runtime/session-lifecycle.js';
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
  for (const segment of snapshot.segments) {
    if (segment.startMs + segment.durationSeconds * 1000 >= cutoff) break;
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

/** Newest modification time of a directory and the entries directly inside it. */
async function lastActivityMs(dir: string): Promise<number> {
  let newest = (await stat(dir)).mtimeMs;
  let entries: Dirent[] = [];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return newest; // the directory itself answered stat: its own time is the activity
  }
  for (const entry of entries) {
    // An entry removed meanwhile just does not count as activity.
    const info = await stat(path.join(dir, entry.name)).catch(() => null);
    if (info && info.mtimeMs > newest) newest = info.mtimeMs;
  }
  return newest;
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
      if (now - (await lastActivityMs(dir)) < graceMs) continue;
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
