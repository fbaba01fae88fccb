import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { SegmentSource } from '../ports/segment-source.js';
import type { ManagerContext } from '../runtime/context.js';
import {
  authorizeOrThrow,
  isLive,
  readSessionIndex,
  resolveSession,
  segmentSourceOf,
} from '../runtime/session-lifecycle.js';
import { type LiveEdgeResult, waitForLiveEdge } from '../segments/live-edge.js';
import { assertSegmentFiles } from '../segments/safe-files.js';
import { type SegmentSelection, selectSegments } from '../segments/select.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';
import type { ReplaySession } from '../types.js';

export interface RequestedRange {
  startMs: number;
  endMs: number;
}

/** What captureReplay and streamReplay both ask for. */
export interface RangeRequest {
  userId: string;
  sessionId?: string | undefined;
  durationSeconds?: number | undefined;
  startAt?: Date | undefined;
  endAt?: Date | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Turns the request into a wall-clock range. A duration counts back from `anchorMs` (now for a
 * live buffer, the end of the recording for one that has ended).
 */
export function resolveRange(
  input: RangeRequest,
  anchorMs: number,
  now: number,
  maxSeconds: number,
): RequestedRange {
  const range =
    input.durationSeconds !== undefined
      ? { startMs: anchorMs - input.durationSeconds * 1000, endMs: anchorMs }
      : { startMs: input.startAt?.getTime() ?? Number.NaN, endMs: input.endAt?.getTime() ?? Number.NaN };
  if (!(range.endMs > range.startMs)) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'The range must start before it ends', {
      details: { startMs: range.startMs, endMs: range.endMs },
    });
  }
  if (range.endMs > now + 1000) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'The range cannot end in the future');
  }
  if ((range.endMs - range.startMs) / 1000 > maxSeconds) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `A clip can be at most ${maxSeconds} s long`, {
      details: { maxSeconds },
    });
  }
  return range;
}

/** The session may be saved from while live, and for the retention period after it ended. */
function assertCapturable(ctx: ManagerContext, session: ReplaySession, now: number): void {
  if (isLive(session)) return;
  const endedAt = session.endedAt?.getTime() ?? 0;
  if (now - endedAt > ctx.config.retainAfterStopSeconds * 1000) {
    throw new ReplayBufferError(
      ReplayErrorCode.SESSION_NOT_ACTIVE,
      'This replay buffer has ended and its recording is no longer kept',
      { details: { sessionId: session.id, status: session.status } },
    );
  }
}

/**
 * Bytes reserved before a save: an upper bound from the segments it reads. Stream-copied parts
 * come out no bigger than their MPEG-TS (MP4 carries less overhead); in accurate mode the
 * re-encoded head (at most the first segment) is capped by the pipeline near twice the source
 * bitrate, so the first segment is counted twice. (The bitrate-based `estimateClipBytes` is what
 * the UI shows; it can be short by up to a segment in fast mode, where the start snaps back.)
 */
export function reservationBytes(segments: readonly Segment[], mode: 'accurate' | 'fast'): number {
  const total = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  const head = mode === 'accurate' ? (segments[0]?.sizeBytes ?? 0) : 0;
  return total + head + 64 * 1024;
}

export interface PreparedRange {
  session: ReplaySession;
  /** Where the session's segments are read from (the cut reads through it too). */
  source: SegmentSource;
  snapshot: SegmentIndexSnapshot;
  requested: RequestedRange;
}

/**
 * Everything a save or a download checks before any work: the session (given or current), the
 * retention, the authorize hook (`capture`), the range, LiveKit's answer for a live session
 * (EGRESS_UNAVAILABLE when it cannot be reached: nothing is written), and that something exists.
 */
export async function prepareRange(ctx: ManagerContext, input: RangeRequest): Promise<PreparedRange> {
  const session = await resolveSession(ctx, input.userId, input.sessionId);
  const now = Date.now();
  assertCapturable(ctx, session, now);
  await authorizeOrThrow(ctx, {
    userId: session.userId,
    action: 'capture',
    roomName: session.roomName,
    channelId: session.channelId,
    communityId: session.communityId,
    sessionId: session.id,
  });
  resolveRange(input, now, now, ctx.config.maxCaptureSeconds); // bad ranges fail before any I/O
  if (isLive(session) && session.egressId) await ctx.egress.getEgress(session.egressId);

  const source = segmentSourceOf(ctx, session);
  const snapshot = await readSessionIndex(ctx, session, source);
  if (snapshot.segments.length === 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.NO_SEGMENTS,
      'The replay buffer is still warming up: nothing has been recorded yet. Try again in a few seconds',
      { details: { sessionId: session.id } },
    );
  }
  // "The last N seconds" of a buffer that has ended means the last N seconds it recorded.
  const anchor = isLive(session) ? now : Math.min(now, snapshot.endMs ?? now);
  const requested = resolveRange(input, anchor, now, ctx.config.maxCaptureSeconds);
  return { session, source, snapshot, requested };
}

/**
 * Margin for a completed segment to reach object storage and be listed (the local default is
 * 1.5 s): egress uploads it, then re-uploads the live playlist, then we list. Still capped by
 * `liveEdgeWaitSeconds`.
 */
export const REMOTE_LIVE_EDGE_MARGIN_MS = 5000;

/** The segments of a range, and what the live-edge wait saw (for the clip's clampReason). */
export interface SelectedRange {
  selection: SegmentSelection;
  snapshot: SegmentIndexSnapshot;
  edge: LiveEdgeResult | null;
}

/**
 * Waits for the segment in progress when the range ends at the live edge — bounded by when that
 * segment should complete, not a flat timeout — then picks the segments. Errors name what the
 * buffer holds.
 */
export async function selectRange(
  ctx: ManagerContext,
  prepared: PreparedRange,
  options: { signal?: AbortSignal; onWaiting?: () => void } = {},
): Promise<SelectedRange> {
  const { session, requested, source } = prepared;
  let { snapshot } = prepared;
  const edge = isLive(session)
    ? await waitForLiveEdge(() => readSessionIndex(ctx, session, source), snapshot, requested.endMs, {
        segmentDurationSeconds: session.segmentDurationSeconds,
        maxWaitMs: ctx.config.liveEdgeWaitSeconds * 1000,
        // A bucket shows a segment only after its upload and a listing: allow for both.
        ...(source.local ? {} : { marginMs: REMOTE_LIVE_EDGE_MARGIN_MS }),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onWaiting ? { onWaiting: options.onWaiting } : {}),
      })
    : null;
  if (edge) snapshot = edge.snapshot;
  const selected = selectSegments(snapshot, requested);
  if (!selected.ok) {
    const code =
      selected.reason === 'INVALID_RANGE' ? ReplayErrorCode.INVALID_INPUT : ReplayErrorCode[selected.reason];
    throw new ReplayBufferError(code, `Cannot save: ${selected.message}`, {
      details: { bufferStartMs: selected.bufferStartMs, bufferEndMs: selected.bufferEndMs },
    });
  }
  // Still regular files inside the session's directory (no symlink or FIFO swapped in).
  if (source.local) await assertSegmentFiles(selected.selection.segments);
  return { selection: selected.selection, snapshot, edge };
}

/** A caller's abort, as a coded error (the caller went away; nothing was kept). */
export function cancelled(signal: AbortSignal | undefined, error: unknown): ReplayBufferError | null {
  if (!signal?.aborted) return null;
  return new ReplayBufferError(ReplayErrorCode.INTERNAL, 'Cancelled by the caller', {
    cause: error,
    details: { aborted: true },
    userMessage: 'Cancelled.',
  });
}
