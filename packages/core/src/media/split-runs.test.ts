import { describe, expect, it } from 'vitest';
import type { Segment } from '../segments/types.js';
import { splitRuns } from './ffmpeg-media-pipeline.js';

const seg = (sequence: number, startMs: number, durationSeconds = 2): Segment => ({
  name: `replay_${String(sequence).padStart(5, '0')}.ts`,
  path: `/s/replay_${String(sequence).padStart(5, '0')}.ts`,
  sequence,
  startMs,
  durationSeconds,
  sizeBytes: 1,
  timing: 'playlist',
});

describe('splitRuns', () => {
  it('keeps consecutive segments together and splits at holes and time jumps', () => {
    const runs = splitRuns([
      seg(0, 0),
      seg(1, 2000),
      seg(3, 6000),
      seg(4, 8000),
      seg(5, 11_000),
      seg(6, 13_040),
    ]);
    expect(runs.map((r) => r.map((s) => s.sequence))).toEqual([
      [0, 1],
      [3, 4],
      [5, 6],
    ]);
  });
});
