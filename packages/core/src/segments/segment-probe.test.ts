import { chmod, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSegmentProber, parsePacketList } from './segment-probe.js';

describe('parsePacketList', () => {
  it('reads frame and keyframe times and the video duration from ffprobe csv', () => {
    const csv = '1.421333,0.066667,K_\n\n1.488000,0.066667,__\n1.554667,0.066667,__\n1.621333,N/A,K_\n';
    const p = parsePacketList(csv);
    expect(p.firstVideoPtsSeconds).toBe(1.421333);
    expect(p.keyframePtsSeconds).toEqual([1.421333, 1.621333]);
    expect(p.framePtsSeconds).toHaveLength(4);
    expect(p.frameDurationSeconds).toBeCloseTo(0.066667, 5);
    expect(p.durationSeconds).toBeCloseTo(0.266667, 5);
  });

  it('handles an empty listing', () => {
    expect(parsePacketList('')).toMatchObject({ durationSeconds: 0, firstVideoPtsSeconds: null });
  });
});

describe('createSegmentProber', () => {
  let dir: string;
  let fakeProbe: string;
  let log: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lkr-probe-'));
    log = path.join(dir, 'calls.log');
    fakeProbe = path.join(dir, 'ffprobe');
    // A stand-in ffprobe that logs each call and prints two frames.
    await writeFile(
      fakeProbe,
      `#!/bin/sh\necho call >> '${log}'\nprintf '2.000000,0.500000,K_\\n2.500000,0.500000,__\\n'\n`,
    );
    await chmod(fakeProbe, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('probes each file version once (cache by path, size and mtime)', async () => {
    const segment = path.join(dir, 'replay_00000.ts');
    await writeFile(segment, 'x');
    const probe = createSegmentProber({ ffprobePath: fakeProbe });
    expect((await probe(segment)).durationSeconds).toBe(1);
    await probe(segment);
    const calls = async () => (await readFile(log, 'utf8')).trim().split('\n').length;
    expect(await calls()).toBe(1);
    await utimes(segment, new Date(), new Date(Date.now() + 5000));
    await probe(segment);
    expect(await calls()).toBe(2);
  });

  it('rejects when ffprobe fails', async () => {
    const probe = createSegmentProber({ ffprobePath: path.join(dir, 'missing-ffprobe') });
    const segment = path.join(dir, 'replay_00001.ts');
    await writeFile(segment, 'x');
    await expect(probe(segment)).rejects.toThrow(/could not run/);
  });
});
