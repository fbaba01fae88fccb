import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Decisions for the sweep of unreferenced segment directories. The segments root is shared
 * (LiveKit's egress, other services), so the sweep only ever considers directories whose names
 * are session ids this library issued (`newId('rs')`: `rs_` + 32 hex digits), and a directory
 * with anything written recently at any depth is left alone.
 */

/** Session ids as `newId('rs')` makes them. */
export const SESSION_DIR_PATTERN = /^rs_[0-9a-f]{32}$/;

/** Whether the sweep may ever delete the directory `name` under the segments root. */
export function isSweepCandidate(name: string): boolean {
  return SESSION_DIR_PATTERN.test(name);
}

export interface ActivityBounds {
  /** Levels below `dir` looked into (default 8). */
  maxDepth?: number;
  /** Entries looked at in total (default 20 000). */
  maxEntries?: number;
}

/**
 * The newest modification time of `dir` and everything below it (symlinks are looked at, not
 * followed). The walk is bounded: when a tree is deeper or larger than the bounds allow, the
 * answer is `+Infinity` ("assume it is active"), so a directory too big to check is never
 * deleted by a guess. Entries that vanish during the walk are skipped.
 */
export async function newestActivityMs(dir: string, bounds: ActivityBounds = {}): Promise<number> {
  const maxDepth = bounds.maxDepth ?? 8;
  let budget = bounds.maxEntries ?? 20_000;
  let newest = (await lstat(dir)).mtimeMs;
  const stack: Array<{ dir: string; depth: number }> = [{ dir, depth: 0 }];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(current.dir, { withFileTypes: true });
    } catch {
      continue;
    }
    budget -= entries.length;
    if (budget < 0) return Number.POSITIVE_INFINITY;
    for (const entry of entries) {
      const full = path.join(current.dir, entry.name);
      const info = await lstat(full).catch(() => null);
      if (!info) continue;
      if (info.mtimeMs > newest) newest = info.mtimeMs;
      if (info.isDirectory()) {
        if (current.depth + 1 > maxDepth) return Number.POSITIVE_INFINITY;
        stack.push({ dir: full, depth: current.depth + 1 });
      }
    }
  }
  return newest;
}
