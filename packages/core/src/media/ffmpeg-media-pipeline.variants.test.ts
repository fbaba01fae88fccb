import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrameStamps } from '../../../testing/src/frame-stamp.js';
import { readSegmentIndex } from '../segments/segment-index.js';
import { selectSegments } from '../segments/select.js';
import type { SegmentIndexSnapshot } from '../segments/types.js';
import { decodeErrors, frameSteps } from './__fixtures__/checks.js';
import { generateLiveKitSegments, type LiveKitFixture } from './__fixtures__/livekit-segments.js';
import { FfmpegMediaPipeline } from './ffmpeg-media-pipeline.js';
import { observeMediaSpawns } from './process-runner.js';

const pipeline = new FfmpegMediaPipeline();
const ORIGIN = Math.floor(Date.now() / 1000) * 1000 - 7_200_000 + 457;

let root: string;
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-media-var-'));
});
afterAll(async () => {
  console.log('[media measurements: variants]', JSON.stringify(measured, null, 2));
  await rm(root, { recursive: true, force: true });
});

async function cutRange(
  name: string,
  snapshot: SegmentIndexSnapshot,
  startMs: number,
  endMs: number,
  mode: 'accurate' | 'fast',
) {
  const selected = selectSegments(snapshot, { startMs, endMs });
  if (!selected.ok) throw new Error(selected.message);
  const outputPath = path.join(root, `${name}.mp4`);
  const workDir = path.join(root, `work-${name}`);
  const t = performance.now();
  const result = await pipeline.cut({
    segments: selected.selection.segments,
    startMs: selected.selection.startMs,
    endMs: selected.selection.endMs,
    mode,
    outputPath,
    workDir,
  });
  const ms = Math.round(performance.now() - t);
  await expect(stat(workDir)).rejects.toThrow(/ENOENT/);
  return { result, outputPath, ms };
}

async function expectExact(fx: LiveKitFixture, outputPath: string, startMs: number, endMs: number) {
  const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
  const steps = frameSteps(stamps, fx.frameMs);
  expect(stamps[0]! - startMs).toBeGreaterThanOrEqual(-1);
  expect(stamps[0]! - startMs).toBeLessThanOrEqual(fx.frameMs + 1);
  expect(endMs - stamps.at(-1)!).toBeGreaterThan(0);
  expect(endMs - stamps.at(-1)!).toBeLessThanOrEqual(fx.frameMs + 1);
  expect(steps.increasing).toBe(true);
  expect(steps.irregular).toBe(0);
  expect(await decodeErrors(outputPath)).toBe('');
  return { stamps, firstErrorMs: stamps[0]! - startMs, lastErrorMs: stamps.at(-1)! - endMs };
}

describe('TIMESTAMP names with a lagging playlist (real segments, real ffprobe)', () => {
  let fx: LiveKitFixture;
  let snapshot: SegmentIndexSnapshot;
  beforeAll(async () => {
    const dir = path.join(root, 'ts-names');
    await mkdir(dir);
    // 10 segments; the playlist lists 5; the newest file is still being written.
    fx = await generateLiveKitSegments({
      dir,
      naming: 'TIMESTAMP',
      segmentCount: 10,
      listed: 5,
      ended: false,
      originMs: ORIGIN,
      width: 512,
      height: 96,
    });
    snapshot = await readSegmentIndex(fx.layout);
  });

  it('indexes unlisted files from their names and probed durations; the newest is in progress', () => {
    expect(snapshot.segments.map((s) => s.name)).toEqual(fx.segments.slice(0, 9).map((s) => s.name));
    expect(snapshot.pending).toEqual([fx.segments[9]!.name]);
    expect(snapshot.segments.map((s) => s.timing)).toEqual([
      ...Array(5).fill('playlist'),
      ...Array(4).fill('filename'),
    ]);
    for (const [i, s] of snapshot.segments.entries()) {
      expect(s.startMs).toBe(fx.segments[i]!.startMs);
      expect(Math.abs(s.durationSeconds - fx.segments[i]!.durationSeconds)).toBeLessThan(0.002);
    }
    expect(snapshot.gaps).toEqual([]);
  });

  it('cuts accurately across listed and unlisted segments', async () => {
    const startMs = Math.round(fx.frameTime(fx.segments[3]!.firstFrame + 7)) + 11;
    const endMs = startMs + 8000;
    const { result, outputPath } = await cutRange('ts-names', snapshot, startMs, endMs, 'accurate');
    const exact = await expectExact(fx, outputPath, startMs, endMs);
    expect(Math.abs(result.probe.durationSeconds - 8)).toBeLessThanOrEqual(0.1);
    measured['timestamp-names-8s'] = {
      durationErrorMs: Math.round((result.probe.durationSeconds - 8) * 1000),
      firstStampErrorMs: exact.firstErrorMs,
      lastStampErrorMs: exact.lastErrorMs,
    };
  });
});

describe('INDEX names with a lagging playlist (real segments, real ffprobe)', () => {
  it('places unlisted segments at the previous end, with probed durations', async () => {
    const dir = path.join(root, 'index-names');
    await mkdir(dir);
    const fx = await generateLiveKitSegments({
      dir,
      segmentCount: 8,
      listed: 4,
      ended: false,
      originMs: ORIGIN,
      width: 512,
      height: 32,
      picture: 'plain',
    });
    const snapshot = await readSegmentIndex(fx.layout);
    expect(snapshot.segments.map((s) => s.timing)).toEqual([
      ...Array(4).fill('playlist'),
      ...Array(3).fill('probed'),
    ]);
    expect(snapshot.pending).toEqual([fx.segments[7]!.name]);
    for (const [i, s] of snapshot.segments.entries()) {
      expect(Math.abs(s.startMs - fx.segments[i]!.startMs)).toBeLessThanOrEqual(2);
      expect(Math.abs(s.durationSeconds - fx.segments[i]!.durationSeconds)).toBeLessThan(0.002);
    }
    // A later read is answered from the probe cache and agrees.
    expect(await readSegmentIndex(fx.layout)).toEqual(snapshot);
  });
});

describe('a source with B-frames (not LiveKit, but must not break)', () => {
  it('falls back to ffmpeg (the native remux does not copy reordered frames), re-encodes the range and stays frame-exact', async () => {
    const dir = path.join(root, 'bframes');
    await mkdir(dir);
    const fx = await generateLiveKitSegments({
      dir,
      segmentCount: 5,
      originMs: ORIGIN,
      width: 512,
      height: 96,
      bFrames: true,
    });
    const snapshot = await readSegmentIndex(fx.layout);
    const startMs = Math.round(fx.frameTime(20)) + 30;
    const endMs = startMs + 6000;
    const spawned: string[] = [];
    const stop = observeMediaSpawns((s) => spawned.push(path.basename(s.binary)));
    const { result, outputPath } = await cutRange('bframes', snapshot, startMs, endMs, 'accurate').finally(
      stop,
    );
    expect(spawned).toEqual(['ffmpeg', 'ffmpeg']);
    await expectExact(fx, outputPath, startMs, endMs);
    expect(Math.abs(result.probe.durationSeconds - 6)).toBeLessThanOrEqual(0.1);
  });
});

describe('a 10-minute save', () => {
  let fx: LiveKitFixture;
  let snapshot: SegmentIndexSnapshot;
  beforeAll(async () => {
    const dir = path.join(root, 'long');
    await mkdir(dir);
    // 302 segments of 1.8/2.2/2.0 s at 5 fps: 604 s. Only the stamp strip, to keep it cheap.
    fx = await generateLiveKitSegments({
      dir,
      segmentCount: 302,
      framePattern: [9, 11, 10],
      fps: 5,
      originMs: ORIGIN,
      width: 512,
      height: 16,
      picture: 'plain',
      audio: 'silence',
    });
    snapshot = await readSegmentIndex(fx.layout);
  }, 180_000);

  it('accurate and fast cuts of the same 600 s range', async () => {
    expect(snapshot.segments).toHaveLength(302);
    const startMs = Math.round(fx.frameTime(13)) + 40;
    const endMs = startMs + 600_000;
    const accurate = await cutRange('long-accurate', snapshot, startMs, endMs, 'accurate');
    const exact = await expectExact(fx, accurate.outputPath, startMs, endMs);
    expect(exact.stamps).toHaveLength(3000);
    expect(Math.abs(accurate.result.probe.durationSeconds - 600)).toBeLessThanOrEqual(0.1);

    const fast = await cutRange('long-fast', snapshot, startMs, endMs, 'fast');
    expect(fast.result.actualStartMs).toBeLessThanOrEqual(startMs);
    expect(await decodeErrors(fast.outputPath)).toBe('');
    measured['10-minute'] = {
      accurateCutMs: accurate.ms,
      fastCutMs: fast.ms,
      durationErrorMs: Math.round((accurate.result.probe.durationSeconds - 600) * 1000),
      firstStampErrorMs: exact.firstErrorMs,
      lastStampErrorMs: exact.lastErrorMs,
      clipBytes: accurate.result.sizeBytes,
    };
  }, 120_000);
});
