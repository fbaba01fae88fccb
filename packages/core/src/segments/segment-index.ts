import type { Dirent } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { safeJoin } from '../ids.js';
import { defaultSegmentProber, type SegmentProber } from '../media/segment-probe.js';
import { type ParsedPlaylist, parsePlaylist } from './playlist.js';
import { type ParsedSegmentName, parseSegmentName } from './segment-names.js';
import type { Segment, SegmentDirectoryLayout, SegmentGap, SegmentIndexSnapshot } from './types.js';

export interface ReadSegmentIndexOptions {
  /** Probes unlisted segments (duration, first PTS). Defaults to the cached in-process MPEG-TS reader. */
  prober?: SegmentProber;
  /** A stretch longer than this between one segment's end and the next start is a gap. */
  gapToleranceMs?: number;
  signal?: AbortSignal;
}

/** Default tolerance between one segment's end and the next one's start. */
export const DEFAULT_GAP_TOLERANCE_MS = 250;

interface Candidate {
  name: string;
  parsed: ParsedSegmentName;
  /** Ordering key: the index, or the start encoded in the name. */
  key: number;
  listed: ListedEntry | null;
  onDisk: boolean;
}

interface ListedEntry {
  durationSeconds: number;
  programDateTimeMs: number | null;
  sequence: number;
}

interface FileFacts {
  size: number;
  mtimeMs: number;
}

// Files seen openable once (by path, size and mtime) are not opened again on the next read.
const openableCache = new Map<string, true>();
const OPENABLE_CACHE_LIMIT = 8192;

async function readPlaylistFile(filePath: string): Promise<ParsedPlaylist | null> {
  try {
    return parsePlaylist(await readFile(filePath, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Not written yet, or replaced while we read it: treat as absent this time.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'ESTALE') return null;
    throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `could not read playlist ${filePath}`, {
      cause: error,
    });
  }
}

async function statFile(filePath: string): Promise<FileFacts | null> {
  try {
    const info = await stat(filePath);
    return info.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : null;
  } catch {
    return null;
  }
}

/** On NFS a new file can be listed before it can be opened: check, once per version. */
async function isOpenable(filePath: string, facts: FileFacts): Promise<boolean> {
  const key = `${filePath}\u0000${facts.size}\u0000${facts.mtimeMs}`;
  if (openableCache.has(key)) return true;
  try {
    const handle = await open(filePath, 'r');
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
 */
export async function readSegmentIndex(
  layout: SegmentDirectoryLayout,
  options: ReadSegmentIndexOptions = {},
): Promise<SegmentIndexSnapshot> {
  const prober = options.prober ?? defaultSegmentProber();
  const tolerance = options.gapToleranceMs ?? DEFAULT_GAP_TOLERANCE_MS;
  const { dir, filenamePrefix: prefix, naming } = layout;

  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return emptySnapshot(false);
    throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `could not list segment directory ${dir}`, {
      cause: error,
    });
  }

  const [main, live] = await Promise.all([
    readPlaylistFile(safeJoin(dir, layout.playlistName)),
    layout.livePlaylistName && layout.livePlaylistName !== layout.playlistName
      ? readPlaylistFile(safeJoin(dir, layout.livePlaylistName))
      : Promise.resolve(null),
  ]);
  const ended = main?.ended === true;

  const candidates = new Map<string, Candidate>();
  const keyOf = (parsed: ParsedSegmentName) =>
    parsed.naming === 'INDEX' ? parsed.index : parsed.timestampMs;

  // Live playlist first, main playlist second: the main one wins where both list a name.
  for (const playlist of [live, main]) {
    if (!playlist) continue;
    for (const entry of playlist.entries) {
      const parsed = parseSegmentName(entry.uri, prefix, naming);
      if (!parsed) continue;
      const listed: ListedEntry = {
        durationSeconds: entry.durationSeconds,
        programDateTimeMs: entry.programDateTimeMs,
        sequence: entry.sequence,
      };
      const existing = candidates.get(parsed.name);
      if (existing) {
        // Keep a PROGRAM-DATE-TIME from either list.
        if (listed.programDateTimeMs === null)
          listed.programDateTimeMs = existing.listed?.programDateTimeMs ?? null;
        existing.listed = listed;
      } else {
        candidates.set(parsed.name, { name: parsed.name, parsed, key: keyOf(parsed), listed, onDisk: false });
      }
    }
  }
  for (const dirent of dirents) {
    if (dirent.isDirectory()) continue;
    const parsed = parseSegmentName(dirent.name, prefix, naming);
    if (!parsed) continue;
    const existing = candidates.get(parsed.name);
    if (existing) existing.onDisk = true;
    else
      candidates.set(parsed.name, {
        name: parsed.name,
        parsed,
        key: keyOf(parsed),
        listed: null,
        onDisk: true,
      });
  }

  const ordered = [...candidates.values()].sort((a, b) => a.key - b.key);
  const facts = await mapLimit(ordered, 16, (c) =>
    c.onDisk ? statFile(safeJoin(dir, c.name)) : Promise.resolve(null),
  );

  // Index of the newest candidate present on disk: unlisted files before it are complete.
  let newestOnDisk = -1;
  for (let i = 0; i < ordered.length; i++) if (facts[i]) newestOnDisk = i;

  const segments: Segment[] = [];
  const pending: string[] = [];
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
    if (!f) {
      // Listed but gone (retention) or never written: a hole.
      missingSinceLast = true;
      continue;
    }
    let complete: boolean;
    if (c.listed) complete = f.size > 0 && (await isOpenable(filePath, f));
    else complete = f.size > 0 && i < newestOnDisk;
    if (!complete) {
      if (c.listed || i >= newestOnDisk) pending.push(c.name);
      missingSinceLast = true;
      continue;
    }

    let startMs: number | null = null;
    let durationSeconds: number | null = c.listed ? c.listed.durationSeconds : null;
    let timing: Segment['timing'] = 'playlist';
    if (c.listed && c.listed.programDateTimeMs !== null) {
      startMs = c.listed.programDateTimeMs;
    } else {
      try {
        if (durationSeconds === null) durationSeconds = (await probe(filePath)).durationSeconds;
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
    }

    const sequence =
      c.parsed.naming === 'INDEX'
        ? c.parsed.index
        : (c.listed?.sequence ?? (previous ? previous.sequence + 1 : segments.length));
    const segment: Segment = {
      name: c.name,
      path: filePath,
      sequence,
      startMs,
      durationSeconds: durationSeconds ?? 0,
      sizeBytes: f.size,
      timing,
    };
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
