import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { CutRequest } from '../ports/media-pipeline.js';
import { DEFAULT_GAP_TOLERANCE_MS } from '../segments/segment-index.js';
import type { SegmentProbe, SegmentProber } from '../segments/segment-probe.js';
import type { Segment } from '../segments/types.js';

/** Frames closer than this (seconds) to a bound count as on it (PROGRAM-DATE-TIME has ms). */
export const EPS = 0.0005;

/** One stretch of segments without holes, and what to take from it. */
export interface RunPlan {
  segments: Segment[];
  /** Wall clock of `segments[0]` and its first video PTS: the wall ↔ stream mapping. */
  anchorWallMs: number;
  anchorPts: number;
  /** First and last output frames (stream clock) and the exclusive end bound. */
  firstPts: number;
  lastPts: number;
  endPts: number;
  frameDuration: number;
  /** Re-encode [firstPts, …) from `inputs` (to the end when `untilEnd`); the rest is copied. */
  head: { inputs: Segment[]; untilEnd: boolean } | null;
  /** Segments stream-copied after the head (or from firstPts when there is no head). */
  copy: Segment[];
}

export const segmentEndMs = (s: Segment) => s.startMs + s.durationSeconds * 1000;

/** Seconds of media a plan puts in the clip. */
export const planSeconds = (p: RunPlan) => p.lastPts + p.frameDuration - p.firstPts;

/**
 * Plans one gap-free run from the boundary segments alone (read in-process): the wall clock
 * maps to stream time through the first segment's PROGRAM-DATE-TIME and first PTS.
 */
export async function planRun(
  run: Segment[],
  request: CutRequest,
  reordered: boolean,
  prober: SegmentProber,
): Promise<RunPlan | null> {
  const { signal } = request;
  const fromMs = Math.max(request.startMs, run[0]!.startMs);
  const toMs = Math.min(request.endMs, segmentEndMs(run.at(-1)!));
  if (toMs <= fromMs) return null;
  let segments = run.filter((s) => s.startMs < toMs && segmentEndMs(s) > fromMs);
  if (segments.length === 0) return null;

  const probes = new Map<Segment, SegmentProbe>();
  const probeOf = async (s: Segment) => {
    let p = probes.get(s);
    if (!p) {
      p = await prober(s.path, signal);
      probes.set(s, p);
    }
    return p;
  };
  const anchor = segments[0]!;
  const anchorProbe = await probeOf(anchor);
  if (anchorProbe.firstVideoPtsSeconds === null) {
    throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `Segment ${anchor.name} holds no video frame`);
  }
  const anchorPts = anchorProbe.firstVideoPtsSeconds;
  const toPts = (ms: number) => anchorPts + (ms - anchor.startMs) / 1000;
  const startPts = toPts(fromMs);
  const endPts = toPts(toMs);

  // The first frame at or after the start; it may lie in the next segment.
  let firstPts: number | null = null;
  let firstKey = false;
  while (segments.length) {
    const p = await probeOf(segments[0]!);
    if (request.mode === 'fast') {
      const key = p.keyframePtsSeconds.filter((k) => k <= startPts + EPS).at(-1) ?? p.keyframePtsSeconds[0];
      if (key !== undefined && key < endPts - EPS) {
        firstPts = key;
        firstKey = true;
      }
    } else {
      const frame = p.framePtsSeconds.find((f) => f >= startPts - EPS);
      if (frame !== undefined && frame < endPts - EPS) {
        firstPts = frame;
        firstKey = p.keyframePtsSeconds.some((k) => Math.abs(k - frame) < 1e-6);
      }
    }
    if (firstPts !== null) break;
    segments = segments.slice(1);
  }
  if (firstPts === null || segments.length === 0) return null;

  // The last frame before the end.
  let lastPts: number | null = null;
  for (let i = segments.length - 1; i >= 0 && lastPts === null; i--) {
    const frames = (await probeOf(segments[i]!)).framePtsSeconds.filter(
      (f) => f < endPts - EPS && f >= firstPts,
    );
    if (frames.length) {
      lastPts = frames.at(-1)!;
      segments = segments.slice(0, i + 1);
    }
  }
  if (lastPts === null) return null;
  const frameDuration = anchorProbe.frameDurationSeconds ?? 1 / 30;

  let head: RunPlan['head'] = null;
  let copy = segments;
  if (request.mode === 'accurate' && reordered) {
    // Cutting a B-frame stream mid-GOP by copy breaks references: re-encode it all.
    head = { inputs: segments, untilEnd: true };
    copy = [];
  } else if (request.mode === 'accurate' && !firstKey) {
    // LiveKit cuts segments on keyframes: the head ends where the next segment starts.
    head = { inputs: [segments[0]!], untilEnd: segments.length === 1 };
    copy = segments.slice(1);
  }
  return {
    segments,
    anchorWallMs: anchor.startMs,
    anchorPts,
    firstPts,
    lastPts,
    endPts,
    frameDuration,
    head,
    copy,
  };
}

/** Plans every gap-free run of the request; fails when no frame lies inside the range. */
export async function planRuns(
  request: CutRequest,
  reordered: boolean,
  prober: SegmentProber,
): Promise<RunPlan[]> {
  const plans: RunPlan[] = [];
  for (const run of splitRuns(request.segments)) {
    const plan = await planRun(run, request, reordered, prober);
    if (plan) plans.push(plan);
  }
  if (plans.length === 0) {
    throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, 'The segments hold no frame inside the range', {
      details: { startMs: request.startMs, endMs: request.endMs },
    });
  }
  return plans;
}

/** The wall-clock range the planned clip covers, epoch ms. */
export function coveredRange(plans: RunPlan[]): { actualStartMs: number; actualEndMs: number } {
  const first = plans[0]!;
  const last = plans.at(-1)!;
  return {
    actualStartMs: first.anchorWallMs + (first.firstPts - first.anchorPts) * 1000,
    actualEndMs: last.anchorWallMs + (planSeconds(last) + last.firstPts - last.anchorPts) * 1000,
  };
}

/** Splits segments where a sequence number is skipped or the timeline jumps. */
export function splitRuns(segments: Segment[], toleranceMs = DEFAULT_GAP_TOLERANCE_MS): Segment[][] {
  const runs: Segment[][] = [];
  let current: Segment[] = [];
  for (const segment of segments) {
    const prev = current.at(-1);
    if (
      prev &&
      (segment.sequence !== prev.sequence + 1 || Math.abs(segment.startMs - segmentEndMs(prev)) > toleranceMs)
    ) {
      runs.push(current);
      current = [];
    }
    current.push(segment);
  }
  if (current.length) runs.push(current);
  return runs;
}

export function validateCutRequest(request: CutRequest): void {
  const fail = (message: string) => {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message);
  };
  if (!request.segments.length) fail('A cut needs at least one segment');
  if (!(request.startMs < request.endMs)) fail('A cut needs a start before its end');
  if (!path.isAbsolute(request.outputPath) || !path.isAbsolute(request.workDir)) {
    fail('outputPath and workDir must be absolute paths');
  }
  for (let i = 1; i < request.segments.length; i++) {
    if (request.segments[i]!.startMs < request.segments[i - 1]!.startMs)
      fail('Segments must be oldest first');
  }
  for (const p of [request.workDir, ...request.segments.map((s) => s.path)]) {
    // `|` separates the parts of a concat: URL.
    if (p.includes('|'))
      fail(`Path ${path.basename(p)} contains "|", which ffmpeg's concat protocol cannot take`);
  }
}
