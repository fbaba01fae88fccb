import type { Segment, SegmentGap, SegmentIndexSnapshot } from './types.js';

export interface SegmentRange {
  /** Wall-clock range, epoch ms. */
  startMs: number;
  endMs: number;
}

export interface SegmentSelection {
  /** Complete segments overlapping the (clamped) range, oldest first. */
  segments: Segment[];
  /** What was asked for. */
  requestedStartMs: number;
  requestedEndMs: number;
  /** The range that can be served: the request clamped to what the buffer holds. */
  startMs: number;
  endMs: number;
  /** The start moved later (the buffer does not reach back that far, or it began in a gap). */
  startClamped: boolean;
  /** The end moved earlier (past the newest complete segment, or it ended in a gap). */
  endClamped: boolean;
  /** Missing stretches inside [startMs, endMs). */
  gaps: SegmentGap[];
  /** Seconds of media inside the range (range minus gaps). */
  coveredSeconds: number;
}

export type SelectSegmentsResult =
  | { ok: true; selection: SegmentSelection }
  | {
      ok: false;
      /**
       * `INVALID_RANGE`: start ≥ end. `NO_SEGMENTS`: the buffer holds nothing yet.
       * `RANGE_UNAVAILABLE`: nothing is left inside the range.
       */
      reason: 'INVALID_RANGE' | 'NO_SEGMENTS' | 'RANGE_UNAVAILABLE';
      message: string;
      /** What the buffer holds, for the error message/UI; null when empty. */
      bufferStartMs: number | null;
      bufferEndMs: number | null;
    };

const segmentEnd = (s: Segment) => s.startMs + s.durationSeconds * 1000;

/**
 * Chooses the complete segments covering [startMs, endMs). The range is clamped to what the
 * buffer holds (start to the oldest available moment, end to the newest); a bound that falls
 * inside a gap moves to the nearest media inside the range.
 */
export function selectSegments(snapshot: SegmentIndexSnapshot, range: SegmentRange): SelectSegmentsResult {
  const { startMs: requestedStartMs, endMs: requestedEndMs } = range;
  const bufferStartMs = snapshot.segments.length ? snapshot.startMs : null;
  const bufferEndMs = snapshot.segments.length ? snapshot.endMs : null;
  if (
    !Number.isFinite(requestedStartMs) ||
    !Number.isFinite(requestedEndMs) ||
    requestedStartMs >= requestedEndMs
  ) {
    return {
      ok: false,
      reason: 'INVALID_RANGE',
      message: 'the range must have a start before its end',
      bufferStartMs,
      bufferEndMs,
    };
  }
  if (snapshot.segments.length === 0) {
    return {
      ok: false,
      reason: 'NO_SEGMENTS',
      message: 'the replay buffer holds no complete segment yet; try again in a few seconds',
      bufferStartMs,
      bufferEndMs,
    };
  }

  const inRange = snapshot.segments.filter(
    (s) => s.startMs < requestedEndMs && segmentEnd(s) > requestedStartMs && s.durationSeconds > 0,
  );
  const first = inRange[0];
  const last = inRange.at(-1);
  if (!first || !last) {
    return {
      ok: false,
      reason: 'RANGE_UNAVAILABLE',
      message: 'that part of the replay buffer is no longer (or not yet) available',
      bufferStartMs,
      bufferEndMs,
    };
  }
  const startMs = Math.max(requestedStartMs, first.startMs);
  const endMs = Math.min(requestedEndMs, segmentEnd(last));
  const gaps: SegmentGap[] = [];
  for (const gap of snapshot.gaps) {
    const gapEnd = gap.startMs + gap.durationSeconds * 1000;
    const from = Math.max(gap.startMs, startMs);
    const to = Math.min(gapEnd, endMs);
    if (to > from) gaps.push({ startMs: from, durationSeconds: (to - from) / 1000 });
  }
  const gapSeconds = gaps.reduce((sum, g) => sum + g.durationSeconds, 0);
  return {
    ok: true,
    selection: {
      segments: inRange,
      requestedStartMs,
      requestedEndMs,
      startMs,
      endMs,
      startClamped: startMs > requestedStartMs,
      endClamped: endMs < requestedEndMs,
      gaps,
      coveredSeconds: (endMs - startMs) / 1000 - gapSeconds,
    },
  };
}

export interface WaitForCoverageOptions {
  /** Give up after this long (default: 15 s). */
  timeoutMs?: number;
  /** Re-read the index this often (default: 250 ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

export interface CoverageResult {
  /** The last snapshot read. */
  snapshot: SegmentIndexSnapshot;
  /** The snapshot reaches endMs. False on timeout, or when the egress ended before it. */
  covered: boolean;
}

/**
 * Re-reads the index until it covers `endMs` (the segment in progress completed), the
 * egress ended, or the timeout passed. Used so that a save ends at the moment it was asked.
 */
export async function waitForCoverage(
  readIndex: () => Promise<SegmentIndexSnapshot>,
  endMs: number,
  options: WaitForCoverageOptions = {},
): Promise<CoverageResult> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pollMs = Math.max(10, options.pollMs ?? 250);
  const deadline = Date.now() + timeoutMs;
  const { signal } = options;
  for (;;) {
    throwIfAborted(signal);
    const snapshot = await readIndex();
    const covered = snapshot.endMs !== null && snapshot.endMs >= endMs;
    if (covered || snapshot.ended) return { snapshot, covered };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { snapshot, covered: false };
    await sleep(Math.min(pollMs, remaining), signal);
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
