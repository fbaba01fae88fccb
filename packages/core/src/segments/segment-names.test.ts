import { describe, expect, it } from 'vitest';
import {
  formatIndexSegmentName,
  formatTimestampSegmentName,
  isSegmentName,
  parseSegmentName,
} from './segment-names.js';

describe('segment names', () => {
  it('parses INDEX names', () => {
    expect(parseSegmentName('replay_00000.ts', 'replay', 'INDEX')).toEqual({
      naming: 'INDEX',
      name: 'replay_00000.ts',
      index: 0,
    });
    expect(parseSegmentName('rs_abc-1_00042.ts', 'rs_abc-1', 'INDEX')).toMatchObject({ index: 42 });
    expect(parseSegmentName('replay_123456.ts', 'replay', 'INDEX')).toMatchObject({ index: 123456 });
  });

  it('parses TIMESTAMP names as UTC milliseconds', () => {
    expect(parseSegmentName('replay_20261121133002033.ts', 'replay', 'TIMESTAMP')).toMatchObject({
      naming: 'TIMESTAMP',
      timestampMs: Date.UTC(2026, 10, 21, 13, 30, 2, 33),
    });
  });

  it('round-trips formatting', () => {
    const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
    expect(formatTimestampSegmentName('p', ms)).toBe('p_20260102030405006.ts');
    expect(parseSegmentName(formatTimestampSegmentName('p', ms), 'p', 'TIMESTAMP')).toMatchObject({
      timestampMs: ms,
    });
    expect(formatIndexSegmentName('p', 7)).toBe('p_00007.ts');
    expect(parseSegmentName(formatIndexSegmentName('p', 7), 'p', 'INDEX')).toMatchObject({ index: 7 });
  });

  it('rejects everything that is not a segment of this prefix and naming', () => {
    const rejects: [string, 'INDEX' | 'TIMESTAMP'][] = [
      // The implementation guide's pattern never matches LiveKit names.
      ['segment-1763731800000.ts', 'INDEX'],
      ['segment-1763731800000.ts', 'TIMESTAMP'],
      ['replay_0001.ts', 'INDEX'],
      ['replay_00001.ts.tmp', 'INDEX'],
      ['replay_00001.m4s', 'INDEX'],
      ['other_00001.ts', 'INDEX'],
      ['xreplay_00001.ts', 'INDEX'],
      ['../replay_00001.ts', 'INDEX'],
      ['sub/replay_00001.ts', 'INDEX'],
      ['replay.m3u8', 'INDEX'],
      ['replay_20261121133002033.ts', 'INDEX'],
      ['replay_00001.ts', 'TIMESTAMP'],
      ['replay_20261321133002033.ts', 'TIMESTAMP'],
      ['replay_20261121253002033.ts', 'TIMESTAMP'],
      ['replay_2026112113300203.ts', 'TIMESTAMP'],
    ];
    for (const [name, naming] of rejects) {
      expect(isSegmentName(name, 'replay', naming), `${name} as ${naming}`).toBe(false);
    }
  });

  it('refuses unsafe prefixes', () => {
    expect(() => parseSegmentName('a.b_00001.ts', 'a.b', 'INDEX')).toThrow(/prefix/);
    expect(() => formatIndexSegmentName('../x', 1)).toThrow(/prefix/);
  });
});
