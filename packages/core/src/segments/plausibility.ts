import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { Segment, SegmentAnomaly, SegmentAnomalyKind } from './types.js';

export type { SegmentAnomaly, SegmentAnomalyKind } from './types.js';

/**
 * Playlist values are written by another service and are believed only when plausible: a
 * segment lasts about the configured target (LiveKit cuts on keyframes, so real durations vary
 * around it, and TARGETDURATION can even be below a real EXTINF), it has ended by now (give or
 * take the egress host's clock skew), and it starts after the one before it ended.
 */

/** How far in the future (egress host clock ahead of ours) a segment's end may lie. */
export const FUTURE_SKEW_MS = 30_000;
/** How much a segment may overlap the end of the one before it (rounding of EXTINF / PDT). */
export const OVERLAP_TOLERANCE_MS = 1000;
/** No MPEG-TS segment with a video stream is smaller than this per second of media. */
export const MIN_SEGMENT_BYTES_PER_SECOND = 64;

/** The longest duration believed for one segment of a stream cut every `targetSeconds`. */
export function maxPlausibleDurationSeconds(targetSeconds: number, sizeBytes?: number): number {
  const target = targetSeconds > 0 ? targetSeconds : 4;
  const byTarget = Math.max(4 * target, target + 10);
  const bySize =
    sizeBytes === undefined ? Number.POSITIVE_INFINITY : sizeBytes / MIN_SEGMENT_BYTES_PER_SECOND;
  return Math.min(byTarget, bySize);
}

const endOf = (s: Pick<Segment, 'startMs' | 'durationSeconds'>) => s.startMs + s.durationSeconds * 1000;

/** Why `segment` cannot be believed as it is, or null when it is plausible. */
export function implausibility(
  segment: Pick<Segment, 'startMs' | 'durationSeconds' | 'sizeBytes'>,
  previous: Pick<Segment, 'startMs' | 'durationSeconds'> | null,
  targetSeconds: number,
  nowMs: number,
): { kind: SegmentAnomalyKind; message: string } | null {
  const max = maxPlausibleDurationSeconds(targetSeconds, segment.sizeBytes);
  if (!(segment.durationSeconds <= max)) {
    return {
      kind: 'implausible_duration',
      message: `duration ${segment.durationSeconds} s is implausible (at most ${max.toFixed(1)} s for a ${targetSeconds} s target and ${segment.sizeBytes} bytes)`,
    };
  }
  if (!Number.isFinite(segment.startMs) || endOf(segment) > nowMs + FUTURE_SKEW_MS) {
    return {
      kind: 'future_time',
      message: `ends at ${Number.isFinite(segment.startMs) ? new Date(Math.min(endOf(segment), 8.64e15)).toISOString() : segment.startMs}, in the future`,
    };
  }
  if (previous && segment.startMs < endOf(previous) - OVERLAP_TOLERANCE_MS) {
    return {
      kind: 'out_of_order',
      message: `starts ${((endOf(previous) - segment.startMs) / 1000).toFixed(3)} s before the previous segment ended`,
    };
  }
  return null;
}

/**
 * The coded error an anomaly is reported as (through the manager's `error` event): a data
 * problem in the segment directory, never the caller's INVALID_INPUT.
 */
export function segmentAnomalyError(sessionId: string, anomaly: SegmentAnomaly): ReplayBufferError {
  const what = anomaly.action === 'skipped' ? 'skipped' : 'timed from the file instead';
  return new ReplayBufferError(
    ReplayErrorCode.MEDIA_ERROR,
    `Segment data not believed in session ${sessionId}: ${anomaly.name} ${anomaly.message}; ${what}`,
    { details: { sessionId, ...anomaly } },
  );
}
