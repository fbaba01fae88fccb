import type { SegmentSelection } from './select.js';
import { waitForCoverage } from './select.js';
import type { SegmentIndexSnapshot } from './types.js';

/**
 * The live edge: a save of "the last N seconds" ends at the moment it was asked, which the
 * segment in progress has not delivered yet. The wait is bounded by when that segment should
 * complete (one segment duration past the later of the requested end and the end of the last
 * complete segment, plus a margin for writing and listing it), never the flat maximum: when
 * the egress stalls, a save waits seconds, not `liveEdgeWaitMs`.
 */

/** Why a saved clip ends before the requested end (clip metadata `clampReason`). */
export type EndClampReason =
  /** The segment in progress did not complete in time (the egress is late or stalled). */
  | 'live_edge_timeout'
  /** The recording ended before the requested end. */
  | 'buffer_ended'
  /** The requested end fell in a stretch with no media. */
  | 'gap';

/** Default margin for a completed segment to be written and listed, ms. */
export const LIVE_EDGE_MARGIN_MS = 1500;

export interface LiveEdgeDeadlineInput {
  requestedEndMs: number;
  /** End of the newest complete segment, epoch ms (null when none). */
  lastCompleteEndMs: number | null;
  segmentDurationSeconds: number;
  /** Upper bound on any wait (config `liveEdgeWaitMs`). */
  maxWaitMs: number;
  marginMs?: number;
  nowMs: number;
}

/** When to stop waiting for the live edge, epoch ms (never before now, never past now + maxWaitMs). */
export function liveEdgeDeadline(input: LiveEdgeDeadlineInput): number {
  const segmentMs = Math.max(1, input.segmentDurationSeconds) * 1000;
  const inProgressEnd = (input.lastCompleteEndMs ?? input.nowMs) + segmentMs;
  const due =
    Math.max(input.requestedEndMs, inProgressEnd) + segmentMs + (input.marginMs ?? LIVE_EDGE_MARGIN_MS);
  return Math.min(input.nowMs + input.maxWaitMs, Math.max(input.nowMs, due));
}

export interface WaitForLiveEdgeOptions {
  segmentDurationSeconds: number;
  maxWaitMs: number;
  marginMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once, before waiting, so the caller can tell the user the save is waiting. */
  onWaiting?: (info: { untilMs: number; missingSeconds: number }) => void;
}

export interface LiveEdgeResult {
  snapshot: SegmentIndexSnapshot;
  /** The index reached the requested end. */
  covered: boolean;
  /** How long was waited, ms. */
  waitedMs: number;
  /** Why the end will be clamped, when it was not covered. */
  clampReason: EndClampReason | null;
}

/** Waits (bounded, see liveEdgeDeadline) until `current` covers `requestedEndMs`. */
export async function waitForLiveEdge(
  readIndex: () => Promise<SegmentIndexSnapshot>,
  current: SegmentIndexSnapshot,
  requestedEndMs: number,
  options: WaitForLiveEdgeOptions,
): Promise<LiveEdgeResult> {
  if (current.endMs !== null && current.endMs >= requestedEndMs) {
    return { snapshot: current, covered: true, waitedMs: 0, clampReason: null };
  }
  const started = Date.now();
  const untilMs = liveEdgeDeadline({
    requestedEndMs,
    lastCompleteEndMs: current.endMs,
    segmentDurationSeconds: options.segmentDurationSeconds,
    maxWaitMs: options.maxWaitMs,
    ...(options.marginMs === undefined ? {} : { marginMs: options.marginMs }),
    nowMs: started,
  });
  options.onWaiting?.({ untilMs, missingSeconds: (requestedEndMs - (current.endMs ?? started)) / 1000 });
  const { snapshot, covered } = await waitForCoverage(readIndex, requestedEndMs, {
    timeoutMs: untilMs - started,
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const clampReason = covered ? null : snapshot.ended ? 'buffer_ended' : 'live_edge_timeout';
  return { snapshot, covered, waitedMs: Date.now() - started, clampReason };
}

/** Why `selection` ends before what was asked (null when it does not). */
export function endClampReason(
  selection: Pick<SegmentSelection, 'endClamped' | 'endMs'>,
  snapshot: SegmentIndexSnapshot,
  edge: LiveEdgeResult | null,
  live: boolean,
): EndClampReason | null {
  if (!selection.endClamped) return null;
  if (edge?.clampReason) return edge.clampReason;
  const atBufferEnd = snapshot.endMs !== null && selection.endMs >= snapshot.endMs - 1;
  if (!atBufferEnd) return 'gap';
  return live && !snapshot.ended ? 'live_edge_timeout' : 'buffer_ended';
}
