import {
  DEFAULT_GAP_TOLERANCE_MS,
  type ParsedPlaylist,
  type ParsedSegmentName,
  parseSegmentName,
  type Segment,
  type SegmentGap,
  type SegmentIndexSnapshot,
  type SegmentProbe,
  type SegmentSourceLayout,
} from '@livekit-replay/core/adapter';

/** A segment object as listed by ListObjectsV2. S3 lists an object only once its upload is complete. */
export interface ListedObject {
  name: string;
  key: string;
  sizeBytes: number;
  /** When the upload completed, epoch ms. */
  lastModifiedMs: number;
}

/** Probes a segment by object key (duration, first PTS); called only for segments no playlist lists. */
export type SegmentTimingProbe = (key: string, signal?: AbortSignal) => Promise<SegmentProbe>;

export interface MergeInput {
  layout: SegmentSourceLayout;
  main: ParsedPlaylist | null;
  live: ParsedPlaylist | null;
  objects: readonly ListedObject[];
  probe: SegmentTimingProbe;
  gapToleranceMs?: number;
  signal?: AbortSignal;
}

interface Candidate {
  name: string;
  parsed: ParsedSegmentName;
  order: number;
  listed: { durationSeconds: number; programDateTimeMs: number | null; sequence: number } | null;
  object: ListedObject | null;
}

/**
 * Merges the main playlist, the live playlist and the listed objects into a snapshot, with the
 * local index's rules:
 *
 * - a segment is usable when its object is listed (complete) and non-empty, and a playlist
 *   lists it or a later segment object exists (egress uploads in parallel and lists a segment
 *   only after its upload, so the newest unlisted one may be followed by a slower upload);
 * - a listed segment without an object (never uploaded, retention) is a hole: a gap;
 * - timing: PROGRAM-DATE-TIME and EXTINF when listed (the main playlist wins over the live
 *   one; either's PDT is kept); else TIMESTAMP names, placed relative to the last segment a
 *   playlist timed (the egress host's clock may be off from PDT: only the name's difference
 *   is trusted); else INDEX names follow the previous segment, or after a hole are placed by
 *   first PTS relative to it; the duration of unlisted segments is probed.
 */
export async function mergeSegmentIndex(input: MergeInput): Promise<SegmentIndexSnapshot> {
  const { layout, main, live, probe, signal } = input;
  const tolerance = input.gapToleranceMs ?? DEFAULT_GAP_TOLERANCE_MS;
  const { filenamePrefix: prefix, naming } = layout;
  const candidates = new Map<string, Candidate>();
  const orderOf = (parsed: ParsedSegmentName) =>
    parsed.naming === 'INDEX' ? parsed.index : parsed.timestampMs;

  for (const playlist of [live, main]) {
    for (const entry of playlist?.entries ?? []) {
      const parsed = parseSegmentName(entry.uri, prefix, naming);
      if (!parsed) continue;
      const listed = {
        durationSeconds: entry.durationSeconds,
        programDateTimeMs: entry.programDateTimeMs,
        sequence: entry.sequence,
      };
      const existing = candidates.get(parsed.name);
      if (existing) {
        listed.programDateTimeMs ??= existing.listed?.programDateTimeMs ?? null;
        existing.listed = listed;
      } else {
        candidates.set(parsed.name, {
          name: parsed.name,
          parsed,
          order: orderOf(parsed),
          listed,
          object: null,
        });
      }
    }
  }
  for (const object of input.objects) {
    const parsed = parseSegmentName(object.name, prefix, naming);
    if (!parsed) continue;
    const existing = candidates.get(parsed.name);
    if (existing) existing.object = object;
    else
      candidates.set(parsed.name, {
        name: parsed.name,
        parsed,
        order: orderOf(parsed),
        listed: null,
        object,
      });
  }

  const ordered = [...candidates.values()].sort((a, b) => a.order - b.order);
  let newestObject = -1;
  ordered.forEach((c, i) => {
    if (c.object) newestObject = i;
  });

  const segments: Segment[] = [];
  const pending: string[] = [];
  const afterHole = new Set<Segment>();
  let missingSinceLast = false;
  let previous: Segment | null = null;
  /** Name time and start of the last segment a playlist timed (TIMESTAMP naming). */
  let anchor: { nameMs: number; startMs: number } | null = null;

  for (let i = 0; i < ordered.length; i++) {
    const c = ordered[i] as Candidate;
    const object = c.object;
    if (!object) {
      missingSinceLast = true; // listed, but never uploaded or already deleted
      continue;
    }
    if (object.sizeBytes <= 0 || (!c.listed && i >= newestObject)) {
      pending.push(c.name);
      missingSinceLast = true;
      continue;
    }
    let startMs: number;
    let durationSeconds: number;
    let timing: Segment['timing'];
    try {
      if (c.listed && c.listed.programDateTimeMs !== null) {
        startMs = c.listed.programDateTimeMs;
        durationSeconds = c.listed.durationSeconds;
        timing = 'playlist';
        if (c.parsed.naming === 'TIMESTAMP') anchor = { nameMs: c.parsed.timestampMs, startMs };
      } else {
        durationSeconds = c.listed
          ? c.listed.durationSeconds
          : (await probe(object.key, signal)).durationSeconds;
        if (c.parsed.naming === 'TIMESTAMP') {
          timing = 'filename';
          startMs = anchor ? anchor.startMs + (c.parsed.timestampMs - anchor.nameMs) : c.parsed.timestampMs;
          if (previous) {
            const previousEnd = previous.startMs + previous.durationSeconds * 1000;
            if (Math.abs(startMs - previousEnd) <= tolerance) startMs = previousEnd;
          }
        } else {
          timing = 'probed';
          startMs = await indexStart(c, previous, object, durationSeconds, probe, signal);
        }
      }
    } catch (error) {
      if (signal?.aborted) throw error;
      pending.push(c.name); // not readable right now: not usable this time
      missingSinceLast = true;
      continue;
    }
    const sequence =
      c.parsed.naming === 'INDEX'
        ? c.parsed.index
        : (c.listed?.sequence ?? (previous ? previous.sequence + 1 : segments.length));
    const segment: Segment = {
      name: c.name,
      path: object.key,
      sequence,
      startMs,
      durationSeconds,
      sizeBytes: object.sizeBytes,
      timing,
    };
    if (missingSinceLast && previous) afterHole.add(segment);
    missingSinceLast = false;
    segments.push(segment);
    previous = segment;
  }

  const gaps: SegmentGap[] = [];
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1] as Segment;
    const next = segments[i] as Segment;
    const prevEnd = prev.startMs + prev.durationSeconds * 1000;
    const gapMs = next.startMs - prevEnd;
    const hole = next.sequence > prev.sequence + 1 || afterHole.has(next);
    if (gapMs > tolerance || (hole && gapMs > 0))
      gaps.push({ startMs: prevEnd, durationSeconds: gapMs / 1000 });
  }
  const first = segments[0];
  const last = segments.at(-1);
  return {
    segments,
    gaps,
    ended: main?.ended === true,
    startMs: first ? first.startMs : null,
    endMs: last ? last.startMs + last.durationSeconds * 1000 : null,
    pending,
    playlistFound: main !== null || live !== null,
  };
}

async function indexStart(
  c: Candidate,
  previous: Segment | null,
  object: ListedObject,
  durationSeconds: number,
  probe: SegmentTimingProbe,
  signal: AbortSignal | undefined,
): Promise<number> {
  if (c.parsed.naming !== 'INDEX') throw new Error('unreachable');
  if (previous && previous.sequence === c.parsed.index - 1) {
    return previous.startMs + previous.durationSeconds * 1000;
  }
  if (previous) {
    // After a hole: timestamps are continuous within one egress.
    const [mine, theirs] = await Promise.all([probe(object.key, signal), probe(previous.path, signal)]);
    if (mine.firstVideoPtsSeconds !== null && theirs.firstVideoPtsSeconds !== null) {
      return previous.startMs + (mine.firstVideoPtsSeconds - theirs.firstVideoPtsSeconds) * 1000;
    }
  }
  // No anchor at all: the upload completed shortly after the segment ended.
  return object.lastModifiedMs - durationSeconds * 1000;
}
