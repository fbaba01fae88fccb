import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isReplayBufferError, ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { safeJoin } from '../ids.js';
import { implausibility, maxPlausibleDurationSeconds, type SegmentAnomaly } from './plausibility.js';
import type { PlaylistEntry } from './playlist.js';
import { readPlaylistCached } from './playlist-cache.js';
import { keyOfSegmentName, listingOf, listsBetween, type PlaylistListing } from './playlist-listing.js';
import { assertDirectoryInside, errnoOf, openRegularFile, statRegularFile } from './safe-files.js';
import { type ParsedSegmentName, parseSegmentName } from './segment-names.js';
import { defaultSegmentProber, type SegmentProber } from './segment-probe.js';
import type {
  RejectedSegmentFile,
  Segment,
  SegmentDirectoryLayout,
  SegmentGap,
  SegmentIndexSnapshot,
} from './types.js';

export interface ReadSegmentIndexOptions {
  /** Probes unlisted segments (duration, first PTS). Defaults to the cached in-process MPEG-TS reader. */
  prober?: SegmentProber;
  /** A stretch longer than this between one segment's end and the next start is a gap. */
  gapToleranceMs?: number;
  signal?: AbortSignal;
  /**
   * The egress has ended (the session is over): the newest file the playlist does not list is
   * no longer in progress, and is used once it has not changed for `settleMs`.
   */
  egressEnded?: boolean;
  /** How long the newest file of an ended egress must be unchanged to count as complete (1000 ms). */
  settleMs?: number;
  /** The wall clock for plausibility checks, epoch ms (default: now). */
  nowMs?: number;
  /** Told once per file and kind about each value that was not believed. */
  onAnomaly?: (anomaly: SegmentAnomaly) => void;
}

/** Default tolerance between one segment's end and the next one's start. */
export const DEFAULT_GAP_TOLERANCE_MS = 250;

interface FileFacts {
  size: number;
  mtimeMs: number;
}

// Files seen openable once (by path, size and mtime) are not opened again on the next read.
const openableCache = new Map<string, true>();
const OPENABLE_CACHE_LIMIT = 8192;

// Anomalies already reported (by directory, file and kind): each is logged once per process.
const reported = new Set<string>();
const REPORTED_LIMIT = 8192;

function reporterFor(dir: string, onAnomaly: ReadSegmentIndexOptions['onAnomaly'], into: SegmentAnomaly[]) {
  return (anomaly: SegmentAnomaly) => {
    into.push(anomaly);
    const key = `${dir}\u0000${anomaly.name}\u0000${anomaly.kind}`;
    if (reported.has(key)) return;
    if (reported.size >= REPORTED_LIMIT) reported.clear();
    reported.add(key);
    onAnomaly?.(anomaly);
  };
}

/** A playlist's listing; null when absent, or refused (symlink, FIFO, too large: reported). */
async function readListing(
  layout: SegmentDirectoryLayout,
  name: string,
  report: (a: SegmentAnomaly) => void,
): Promise<PlaylistListing | null> {
  try {
    const cached = await readPlaylistCached(layout.dir, name);
    return listingOf(cached, layout.filenamePrefix, layout.naming);
  } catch (error) {
    if (isReplayBufferError(error) && typeof error.details?.reason === 'string') {
      report({ kind: 'unsafe_file', name, message: `playlist ignored: ${error.message}`, action: 'skipped' });
      return null;
    }
    // Not written yet, or replaced while we read it: treat as absent this time.
    if (['ENOENT', 'ENOTDIR', 'EACCES', 'ESTALE'].includes(errnoOf(error))) return null;
    throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `Could not read the playlist ${name}`, {
      cause: error,
      details: { name },
    });
  }
}

/** On NFS a new file can be listed before it can be opened: check, once per version. */
async function isOpenable(dir: string, name: string, facts: FileFacts): Promise<boolean> {
  const key = `${dir}\u0000${name}\u0000${facts.size}\u0000${facts.mtimeMs}`;
  if (openableCache.has(key)) return true;
  try {
    const { handle } = await openRegularFile(dir, name);
    await handle.close();
  } catch {
    return false;
  }
  if (openableCache.size >= OPENABLE_CACHE_LIMIT) {
    const oldest = openableCache.keys().next().value;
    if (oldest !== undefined) openableCache.delete(oldest);
  }
  openableCache.set(key, true);
  return true;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

interface Candidate {
  name: string;
  parsed: ParsedSegmentName;
  key: number;
}

/** The entry for `name`, the main playlist winning; a PROGRAM-DATE-TIME is taken from either. */
function lookup(
  main: PlaylistListing | null,
  live: PlaylistListing | null,
  name: string,
): PlaylistEntry | null {
  const fromMain = main?.byName.get(name);
  const fromLive = live?.byName.get(name);
  if (!fromMain) return fromLive ?? null;
  if (fromMain.programDateTimeMs === null && fromLive && fromLive.programDateTimeMs !== null) {
    return { ...fromMain, programDateTimeMs: fromLive.programDateTimeMs };
  }
  return fromMain;
}

/**
 * Reads what a LiveKit segment directory holds right now, merging the main playlist, the
 * live playlist (which may be newer) and the segment files themselves (the playlist can lag
 * the files: after the first hour LiveKit rewrites it rarely).
 *
 * - A file listed in a playlist is complete (LiveKit lists a segment once it is written).
 * - A file in no playlist is complete only when a later segment file exists (segments are
 *   written one after the other); the newest unlisted file is in progress and never used.
 * - A listed file missing on disk (retention, never written) or not yet openable (NFS) is
 *   skipped and shows up as a gap.
 * - Unlisted files: TIMESTAMP names give the start; INDEX names start where the previous
 *   segment ended (or, after a hole, by PTS relative to an earlier segment); the duration
 *   is probed (cached by name, size and mtime).
 * - Only names matching the layout's segment pattern are used, joined under `layout.dir`.
 * - Untrusted directory: the session directory must be a real directory directly under its
 *   parent (no symlink); only regular files are used (no symlink, FIFO, device); playlists
 *   are read bounded, cached and incrementally (see playlist-cache.ts).
 * - Implausible values (see plausibility.ts) are not believed: a listed segment is re-timed
 *   from the file itself, and skipped (a gap) when that is implausible too; each is reported.
 */
export async function readSegmentIndex(
  layout: SegmentDirectoryLayout,
  options: ReadSegmentIndexOptions = {},
): Promise<SegmentIndexSnapshot> {
  const prober = options.prober ?? defaultSegmentProber();
  const tolerance = options.gapToleranceMs ?? DEFAULT_GAP_TOLERANCE_MS;
  const nowMs = options.nowMs ?? Date.now();
  const { dir, filenamePrefix: prefix, naming } = layout;
  const anomalies: SegmentAnomaly[] = [];
  const report = reporterFor(dir, options.onAnomaly, anomalies);

  let dirents: Dirent[];
  try {
    if (!(await assertDirectoryInside(path.dirname(dir), dir))) return emptySnapshot(false);
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isReplayBufferError(error)) throw error;
    if (errnoOf(error) === 'ENOENT') return emptySnapshot(false);
    throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, 'Could not list the segment directory', {
      cause: error,
      details: { dir: path.basename(dir) },
    });
  }

  const [main, live] = await Promise.all([
    readListing(layout, layout.playlistName, report),
    layout.livePlaylistName && layout.livePlaylistName !== layout.playlistName
      ? readListing(layout, layout.livePlaylistName, report)
      : Promise.resolve(null),
  ]);
  const ended = main?.ended === true;

  const ordered: Candidate[] = [];
  for (const dirent of dirents) {
    const parsed = parseSegmentName(dirent.name, prefix, naming);
    if (!parsed) continue;
    if (!dirent.isFile()) {
      if (!dirent.isDirectory()) {
        report({ kind: 'unsafe_file', name: parsed.name, message: 'not a regular file', action: 'skipped' });
      }
      continue;
    }
    ordered.push({ name: parsed.name, parsed, key: keyOfSegmentName(parsed) });
  }
  ordered.sort((a, b) => a.key - b.key);
  // lstat: a file swapped for a symlink or FIFO since the listing is not used either.
  const facts = await mapLimit(ordered, 16, (c) => statRegularFile(dir, c.name));

  // Index of the newest candidate present on disk: unlisted files before it are complete.
  let newestOnDisk = -1;
  for (let i = 0; i < ordered.length; i++) if (facts[i]) newestOnDisk = i;
  const settleMs = options.settleMs ?? 1000;

  const segments: Segment[] = [];
  const pending: string[] = [];
  const rejected: RejectedSegmentFile[] = [];
  /** Segments that count as "seen" for sequence-hole detection (complete or missing). */
  const holesBefore = new Set<Segment>();
  let missingSinceLast = false;
  let previous: Segment | null = null;
  const probeCache = new Map<string, Awaited<ReturnType<SegmentProber>>>();
  const probe = async (segmentPath: string) => {
    let result = probeCache.get(segmentPath);
    if (!result) {
      result = await prober(segmentPath, options.signal);
      probeCache.set(segmentPath, result);
    }
    return result;
  };

  for (let i = 0; i < ordered.length; i++) {
    const c = ordered[i]!;
    const f = facts[i] ?? null;
    const filePath = safeJoin(dir, c.name);
    // A listed file missing on disk between this one and the previous (retention, never written).
    if (
      i > 0 &&
      (listsBetween(main, ordered[i - 1]!.key, c.key) || listsBetween(live, ordered[i - 1]!.key, c.key))
    )
      missingSinceLast = true;
    if (!f) {
      missingSinceLast = true;
      continue;
    }
    const listed = lookup(main, live, c.name);
    let complete: boolean;
    if (listed) complete = f.size > 0 && (await isOpenable(dir, c.name, f));
    else if (i < newestOnDisk) complete = f.size > 0;
    // After the egress ended nothing is in progress: the last file counts once it is still.
    else complete = options.egressEnded === true && f.size > 0 && nowMs - f.mtimeMs >= settleMs;
    if (!complete) {
      if (listed || i >= newestOnDisk) pending.push(c.name);
      missingSinceLast = true;
      continue;
    }

    const sequence =
      c.parsed.naming === 'INDEX'
        ? c.parsed.index
        : (listed?.sequence ?? (previous ? previous.sequence + 1 : segments.length));
    const base = { name: c.name, path: filePath, sequence, sizeBytes: f.size };
    let segment: Segment | null = null;
    if (listed && listed.programDateTimeMs !== null) {
      const fromPlaylist: Segment = {
        ...base,
        startMs: listed.programDateTimeMs,
        durationSeconds: listed.durationSeconds,
        timing: 'playlist',
      };
      const problem = implausibility(fromPlaylist, previous, layout.segmentDurationSeconds, nowMs);
      if (problem) report({ ...problem, name: c.name, action: 'retimed' });
      else segment = fromPlaylist;
    }
    if (!segment) {
      // Timing from the file: unlisted, listed without a time, or a listed value not believed.
      let durationSeconds: number | null =
        listed && listed.programDateTimeMs === null ? listed.durationSeconds : null;
      let startMs: number;
      let timing: Segment['timing'];
      try {
        const limit = maxPlausibleDurationSeconds(layout.segmentDurationSeconds, f.size);
        if (durationSeconds === null || durationSeconds > limit)
          durationSeconds = (await probe(filePath)).durationSeconds;
        if (c.parsed.naming === 'TIMESTAMP') {
          startMs = c.parsed.timestampMs;
          timing = 'filename';
        } else {
          timing = 'probed';
          startMs = await deriveIndexStart(c, previous, filePath, f, durationSeconds, probe);
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        // Unreadable right now (still being copied, NFS): not available this time.
        pending.push(c.name);
        missingSinceLast = true;
        continue;
      }
      const fromFile: Segment = { ...base, startMs, durationSeconds, timing };
      const problem = implausibility(fromFile, previous, layout.segmentDurationSeconds, nowMs);
      if (problem) {
        report({ ...problem, name: c.name, action: 'skipped' });
        rejected.push({ name: c.name, path: filePath, sizeBytes: f.size, mtimeMs: f.mtimeMs });
        missingSinceLast = true;
        continue;
      }
      segment = fromFile;
    }
    if (missingSinceLast && previous) holesBefore.add(segment);
    missingSinceLast = false;
    segments.push(segment);
    previous = segment;
  }

  const gaps: SegmentGap[] = [];
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1]!;
    const next = segments[i]!;
    const prevEnd = prev.startMs + prev.durationSeconds * 1000;
    const gapMs = next.startMs - prevEnd;
    const sequenceHole = next.sequence > prev.sequence + 1 || holesBefore.has(next);
    if (gapMs > tolerance || (sequenceHole && gapMs > 0)) {
      gaps.push({ startMs: prevEnd, durationSeconds: gapMs / 1000 });
    }
  }

  const first = segments[0];
  const last = segments.at(-1);
  return {
    segments,
    gaps,
    ended,
    startMs: first ? first.startMs : null,
    endMs: last ? last.startMs + last.durationSeconds * 1000 : null,
    pending,
    playlistFound: main !== null || live !== null,
    anomalies,
    rejected,
  };
}

async function deriveIndexStart(
  c: Candidate,
  previous: Segment | null,
  filePath: string,
  f: FileFacts,
  durationSeconds: number,
  probe: (p: string) => ReturnType<SegmentProber>,
): Promise<number> {
  if (c.parsed.naming !== 'INDEX') throw new Error('unreachable');
  if (previous && previous.sequence === c.parsed.index - 1) {
    return previous.startMs + previous.durationSeconds * 1000;
  }
  if (previous) {
    // A hole before this file: timestamps are continuous within one egress, so place it by
    // its first PTS relative to the previous segment's.
    const [mine, theirs] = [await probe(filePath), await probe(previous.path)];
    if (mine.firstVideoPtsSeconds !== null && theirs.firstVideoPtsSeconds !== null) {
      return previous.startMs + (mine.firstVideoPtsSeconds - theirs.firstVideoPtsSeconds) * 1000;
    }
  }
  // No anchor at all (no playlist yet): the file was last written when the segment ended.
  return f.mtimeMs - durationSeconds * 1000;
}

function emptySnapshot(ended: boolean): SegmentIndexSnapshot {
  return { segments: [], gaps: [], ended, startMs: null, endMs: null, pending: [], playlistFound: false };
}
