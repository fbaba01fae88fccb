import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLiveKitSegments, type LiveKitFixture } from '../media/__fixtures__/livekit-segments.js';
import { observeMediaSpawns } from '../media/process-runner.js';
import { createSegmentProber, probeSegmentFile } from './segment-probe.js';

describe('in-process segment probe (real LiveKit-format segments)', () => {
  let dir: string;
  let fx: LiveKitFixture;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lkr-probe-'));
    fx = await generateLiveKitSegments({
      dir,
      segmentCount: 3,
      originMs: Date.UTC(2026, 0, 1),
      picture: 'plain',
      audio: 'silence',
    });
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads every frame time, the keyframe, the PIDs and the SPS from the TS headers', async () => {
    const fps = fx.fps;
    let firstPts: number | null = null;
    for (const seg of fx.segments) {
      const p = await probeSegmentFile(seg.path);
      expect(p.framePtsSeconds).toHaveLength(seg.frames);
      firstPts ??= p.firstVideoPtsSeconds!;
      // Continuous timestamps: segment k starts at frame firstFrame.
      expect(p.firstVideoPtsSeconds! - firstPts).toBeCloseTo(seg.firstFrame / fps, 4);
      expect(p.keyframePtsSeconds).toEqual([p.firstVideoPtsSeconds]);
      expect(p.frameDurationSeconds).toBeCloseTo(1 / fps, 4);
      expect(p.durationSeconds).toBeCloseTo(seg.frames / fps, 4);
      expect(p.layout).toMatchObject({ pmtPid: 32, videoPid: 65, videoCodec: 'h264', audioCodec: 'aac' });
      expect(p.sps).toMatchObject({ width: 854, height: 480 });
      expect(p.reordered).toBe(false);
    }
  });

  it('starts no process, and reads a segment again only when its size or mtime changes', async () => {
    const spawned: string[] = [];
    const stop = observeMediaSpawns((s) => spawned.push(s.binary));
    const probe = createSegmentProber();
    const a = await probe(fx.segments[0]!.path);
    expect(await probe(fx.segments[0]!.path)).toBe(a);
    stop();
    expect(spawned).toEqual([]);
  });

  it('refuses symlinks and files that are not MPEG-TS yield no frames', async () => {
    const link = path.join(dir, 'link.ts');
    await symlink(fx.segments[0]!.path, link);
    await expect(probeSegmentFile(link)).rejects.toThrow();
    const fake = path.join(dir, 'fake.ts');
    await writeFile(fake, `#EXTM3U\n#EXTINF:2,\n${fx.segments[0]!.path}\n`);
    expect((await probeSegmentFile(fake)).framePtsSeconds).toEqual([]);
  });
});
