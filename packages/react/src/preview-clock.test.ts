import { describe, expect, it } from 'vitest';
import { frameStep, previewTimeToWallClock } from './preview-clock.js';

const preview = {
  start: '2026-01-01T00:00:00.000Z',
  frameRate: 25,
  segments: [
    { name: 'a.ts', offsetSeconds: 0, start: '2026-01-01T00:00:00.000Z', durationSeconds: 2.04 },
    // A hole of 0.5 s in the recording: wall clock jumps, player time does not.
    { name: 'b.ts', offsetSeconds: 2.04, start: '2026-01-01T00:00:02.540Z', durationSeconds: 1.96 },
  ],
};

describe('previewTimeToWallClock', () => {
  it('maps player time through the segment that contains it', () => {
    const t0 = Date.parse(preview.start);
    expect(previewTimeToWallClock(preview, 0)).toBe(t0);
    expect(previewTimeToWallClock(preview, 1.5)).toBe(t0 + 1500);
    expect(previewTimeToWallClock(preview, 2.04)).toBe(t0 + 2540);
    expect(previewTimeToWallClock(preview, 3)).toBe(t0 + 3500);
  });

  it('steps one frame of the source, 30 fps when unknown', () => {
    expect(frameStep(preview)).toBeCloseTo(0.04, 9);
    expect(frameStep({ frameRate: null })).toBeCloseTo(1 / 30, 9);
  });
});
