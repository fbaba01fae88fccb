import { describe, expect, it } from 'vitest';
import { selectSegments, waitForCoverage } from './select.js';
import type { Segment, SegmentIndexSnapshot } from './types.js';

const T0 = Date.UTC(2026, 10, 21, 13, 0, 0, 0);

/** Segments of 2 s from T0; `missing` indices are absent (a gap). */
function snapshot(count: number, missing: number[] = [], ended = false): SegmentIndexSnapshot {
  const segments: Segment[] = [];
  for (let i = 0; i < count; i++) {
    if (missing.includes(i)) continue;
    segments.push({
      name: `replay_${String(i).padStart(5, '0')}.ts`,
      path: `/x/replay_${String(i).padStart(5, '0')}.ts`,
      sequence: i,
      startMs: T0 + i * 2000,
      durationSeconds: 2,
      sizeBytes: 1000,
      timing: 'playlist',
    });
  }
  const gaps = missing.map((i) => ({ startMs: T0 + i * 2000, durationSeconds: 2 }));
  const last = segments.at(-1);
  return {
    segments,
    gaps,
    ended,
    startMs: segments[0]?.startMs ?? null,
    endMs: last ? last.startMs + 2000 : null,
  };
}

describe('selectSegments', () => {
  it('picks exactly the segments overlapping the range', () => {
    const r = selectSegments(snapshot(10), { startMs: T0 + 3000, endMs: T0 + 7000 });
    if (!r.ok) throw new Error(r.message);
    expect(r.selection.segments.map((s) => s.sequence)).toEqual([1, 2, 3]);
    expect(r.selection).toMatchObject({
      startMs: T0 + 3000,
      endMs: T0 + 7000,
      startClamped: false,
      endClamped: false,
      gaps: [],
      coveredSeconds: 4,
    });
  });

  it('does not take a segment that only touches the range boundary', () => {
    const r = selectSegments(snapshot(10), { startMs: T0 + 4000, endMs: T0 + 6000 });
    expect(r.ok && r.selection.segments.map((s) => s.sequence)).toEqual([2]);
  });

  it('clamps to the oldest and newest available moments and says so', () => {
    const r = selectSegments(snapshot(5), { startMs: T0 - 60_000, endMs: T0 + 60_000 });
    if (!r.ok) throw new Error(r.message);
    expect(r.selection).toMatchObject({
      startMs: T0,
      endMs: T0 + 10_000,
      startClamped: true,
      endClamped: true,
      requestedStartMs: T0 - 60_000,
      requestedEndMs: T0 + 60_000,
    });
    expect(r.selection.segments).toHaveLength(5);
  });

  it('reports gaps inside the range and moves bounds that fall in a gap', () => {
    const r = selectSegments(snapshot(10, [0, 4, 9]), { startMs: T0 + 1000, endMs: T0 + 19_000 });
    if (!r.ok) throw new Error(r.message);
    expect(r.selection.startMs).toBe(T0 + 2000);
    expect(r.selection.endMs).toBe(T0 + 18_000);
    expect(r.selection.startClamped && r.selection.endClamped).toBe(true);
    expect(r.selection.gaps).toEqual([{ startMs: T0 + 8000, durationSeconds: 2 }]);
    expect(r.selection.coveredSeconds).toBe(14);
    expect(r.selection.segments.map((s) => s.sequence)).toEqual([1, 2, 3, 5, 6, 7, 8]);
  });

  it('says why nothing can be selected', () => {
    expect(selectSegments(snapshot(0), { startMs: T0, endMs: T0 + 1 })).toMatchObject({
      ok: false,
      reason: 'NO_SEGMENTS',
    });
    expect(selectSegments(snapshot(5), { startMs: T0 + 5, endMs: T0 + 5 })).toMatchObject({
      ok: false,
      reason: 'INVALID_RANGE',
    });
    expect(selectSegments(snapshot(5), { startMs: T0 - 9000, endMs: T0 - 1000 })).toMatchObject({
      ok: false,
      reason: 'RANGE_UNAVAILABLE',
      bufferStartMs: T0,
      bufferEndMs: T0 + 10_000,
    });
    expect(selectSegments(snapshot(5), { startMs: T0 + 20_000, endMs: T0 + 30_000 })).toMatchObject({
      ok: false,
      reason: 'RANGE_UNAVAILABLE',
    });
    // Entirely inside a gap.
    expect(selectSegments(snapshot(5, [2]), { startMs: T0 + 4100, endMs: T0 + 5900 })).toMatchObject({
      ok: false,
      reason: 'RANGE_UNAVAILABLE',
    });
  });
});

describe('waitForCoverage', () => {
  it('polls until the segment in progress completes', async () => {
    let reads = 0;
    const result = await waitForCoverage(async () => snapshot(3 + Math.min(reads++, 2)), T0 + 9000, {
      pollMs: 10,
      timeoutMs: 5000,
    });
    expect(result.covered).toBe(true);
    expect(result.snapshot.endMs).toBe(T0 + 10_000);
    expect(reads).toBe(3);
  });

  it('gives up at the timeout with what it has', async () => {
    const result = await waitForCoverage(async () => snapshot(3), T0 + 9000, { pollMs: 10, timeoutMs: 60 });
    expect(result.covered).toBe(false);
    expect(result.snapshot.endMs).toBe(T0 + 6000);
  });

  it('stops waiting when the egress ended', async () => {
    let reads = 0;
    const result = await waitForCoverage(
      async () => {
        reads++;
        return snapshot(3, [], true);
      },
      T0 + 9000,
      { pollMs: 10, timeoutMs: 5000 },
    );
    expect(result.covered).toBe(false);
    expect(reads).toBe(1);
  });

  it('honours an abort signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user went away')), 30);
    await expect(
      waitForCoverage(async () => snapshot(3), T0 + 9000, {
        pollMs: 10,
        timeoutMs: 5000,
        signal: controller.signal,
      }),
    ).rejects.toThrow('user went away');
  });
});
