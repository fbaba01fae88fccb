import type { Dirent } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ManagerContext } from '../runtime/context.js';
import { sweepPreviewCaches } from '../runtime/preview-cache.js';
import { LIVE_SESSION_STATUSES } from '../types.js';
import { exclusive, report } from './job-support.js';
import { sweepSegmentDirectories, trimSessionSegments } from './segment-retention.js';

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
    return 0; // no capture ever ran here
  }
  let removed = 0;
  for (const entry of entries) {
    const dir = path.join(root, entry.name);
    const info = await stat(dir).catch(() => null); // gone meanwhile: nothing to remove
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
