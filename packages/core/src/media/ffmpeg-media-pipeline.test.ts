import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrameStamps } from '../../../testing/src/frame-stamp.js';
import { isReplayBufferError } from '../errors.js';
import type { CutRequest, CutResult } from '../ports/media-pipeline.js';
import { readSegmentIndex } from '../segments/segment-index.js';
import { selectSegments } from '../segments/select.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';
import { decodeErrors, frameSteps, streamStarts } from './__fixtures__/checks.js';
import { generateLiveKitSegments, type LiveKitFixture } from './__fixtures__/livekit-segments.js';
import { FfmpegMediaPipeline } from './ffmpeg-media-pipeline.js';

// The default settings are what production uses (the native remux, ffmpeg as its fallback).
const pipeline = new FfmpegMediaPipeline();
const ffmpegOnly = new FfmpegMediaPipeline({ remux: 'ffmpeg' });
// An hour ago, so the stamps are clearly "in the past" and wall clock ≠ stream clock.
const ORIGIN = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 123;

let root: string;
let fx: LiveKitFixture;
let snapshot: SegmentIndexSnapshot;
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-media-'));
  const dir = path.join(root, 'segments');
  await mkdir(dir);
  // 24 segments of 1.933/2.067/2.000 s at 15 fps: 48 s.
  fx = await generateLiveKitSegments({ dir, segmentCount: 24, originMs: ORIGIN });
  snapshot = await readSegmentIndex(fx.layout);
});

afterAll(async () => {
  console.log('[media measurements]', JSON.stringify(measured, null, 2));
  await rm(root, { recursive: true, force: true });
});

async function cut(
  name: string,
  startMs: number,
  endMs: number,
  mode: 'accurate' | 'fast',
  segments?: Segment[],
) {
  const selected = selectSegments(snapshot, { startMs, endMs });
  if (!selected.ok) throw new Error(selected.message);
  const workDir = path.join(root, `work-${name}`);
  const outputPath = path.join(root, `${name}.mp4`);
  const progress: number[] = [];
  const t = performance.now();
  const result = await pipeline.cut({
    segments: segments ?? selected.selection.segments,
    startMs: selected.selection.startMs,
    endMs: selected.selection.endMs,
    mode,
    outputPath,
    workDir,
    onProgress: (f) => progress.push(f),
  });
  const ms = Math.round(performance.now() - t);
  return { result, outputPath, workDir, progress, ms };
}

/** The cut created workDir, so it removes it again (with everything in it). */
async function expectCleanWorkDir(workDir: string) {
  await expect(stat(workDir)).rejects.toThrow(/ENOENT/);
}

async function checkAccurate(name: string, startMs: number, seconds: number) {
  const endMs = startMs + seconds * 1000;
  const { result, outputPath, workDir, progress, ms } = await cut(name, startMs, endMs, 'accurate');
  const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
  const steps = frameSteps(stamps, fx.frameMs);
  const first = stamps[0]!;
  const last = stamps.at(-1)!;
  const durationError = result.probe.durationSeconds - seconds;
  measured[name] = {
    cutMs: ms,
    probedDuration: result.probe.durationSeconds,
    durationErrorMs: Math.round(durationError * 1000),
    firstStampErrorMs: first - startMs,
    lastStampErrorMs: last - endMs,
    frames: stamps.length,
  };
  expect(await decodeErrors(outputPath)).toBe('');
  expect(Math.abs(durationError)).toBeLessThanOrEqual(0.1);
  // Within one frame at both ends: the first frame at/after the start, the last before the end.
  expect(first - startMs).toBeGreaterThanOrEqual(-1);
  expect(first - startMs).toBeLessThanOrEqual(fx.frameMs + 1);
  expect(endMs - last).toBeGreaterThan(0);
  expect(endMs - last).toBeLessThanOrEqual(fx.frameMs + 1);
  expect(steps.increasing).toBe(true);
  expect(steps.irregular).toBe(0);
  expect(stamps.length).toBe(Math.round((last - first) / fx.frameMs) + 1);
  expect(Math.abs(result.actualStartMs - first)).toBeLessThanOrEqual(1);
  expect(Math.abs(result.actualEndMs - (last + fx.frameMs))).toBeLessThanOrEqual(1);
  expect(result.probe).toMatchObject({ width: 854, height: 480, videoCodec: 'h264', audioCodec: 'aac' });
  expect(result.probe.frameRate).toBeCloseTo(15, 1);
  // Video starts at 0; audio (cut at AAC-frame granularity, original timestamps) within one frame.
  const starts = await streamStarts(outputPath);
  expect(starts.video).toBeCloseTo(0, 3);
  expect(Math.abs(starts.audio - starts.video)).toBeLessThanOrEqual(fx.frameMs / 1000);
  // The hash and size are those of the file on disk.
  const bytes = await readFile(outputPath);
  expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  expect(result.sizeBytes).toBe(bytes.length);
  expect(progress.at(-1)).toBe(1);
  expect(progress.every((p, i) => i === 0 || p > progress[i - 1]!)).toBe(true);
  await expectCleanWorkDir(workDir);
  return { result, stamps, ms };
}

describe('FfmpegMediaPipeline.cut on LiveKit-like segments', () => {
  it('index of the fixture matches how it was recorded', () => {
    expect(snapshot.segments).toHaveLength(24);
    expect(snapshot.gaps).toEqual([]);
    for (const [i, s] of snapshot.segments.entries()) {
      expect(s.startMs).toBe(fx.segments[i]!.startMs);
      expect(s.durationSeconds).toBeCloseTo(fx.segments[i]!.durationSeconds, 3);
    }
  });

  it('accurate: a 10 s clip starting mid-segment is frame-exact, decodes cleanly, keeps every frame', async () => {
    // Frame 40 is 11 frames into segment 1; start 20 ms after it.
    await checkAccurate('accurate-10s', Math.round(fx.frameTime(40)) + 20, 10);
  });

  it('accurate: a 30 s clip starting mid-segment', async () => {
    await checkAccurate('accurate-30s', Math.round(fx.frameTime(100)) + 7, 30);
  });

  it('accurate: a start exactly on a segment boundary needs no re-encode', async () => {
    const seg = fx.segments[3]!;
    const { result, stamps } = await checkAccurate('accurate-boundary', seg.startMs, 10);
    expect(stamps[0]).toBe(Math.floor(fx.frameTime(seg.firstFrame)));
    expect(result.actualStartMs).toBeCloseTo(seg.startMs, 0);
  });

  it('fast: stream copy snaps the start to the keyframe at or before it and says so', async () => {
    const startMs = Math.round(fx.frameTime(40)) + 20;
    const endMs = startMs + 10_000;
    const { result, outputPath, workDir, ms } = await cut('fast-10s', startMs, endMs, 'fast');
    const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
    const seg1 = fx.segments[1]!;
    expect(stamps[0]).toBe(Math.floor(fx.frameTime(seg1.firstFrame)));
    expect(Math.abs(result.actualStartMs - seg1.startMs)).toBeLessThanOrEqual(1);
    expect(endMs - stamps.at(-1)!).toBeGreaterThan(0);
    expect(endMs - stamps.at(-1)!).toBeLessThanOrEqual(fx.frameMs + 1);
    expect(frameSteps(stamps, fx.frameMs).irregular).toBe(0);
    expect(await decodeErrors(outputPath)).toBe('');
    expect(Math.abs(result.probe.durationSeconds - (endMs - seg1.startMs) / 1000)).toBeLessThanOrEqual(0.1);
    await expectCleanWorkDir(workDir);
    measured['fast-10s'] = { cutMs: ms, snappedBackMs: startMs - result.actualStartMs };
  });

  it('leaves a gap out and joins both sides cleanly', async () => {
    const startMs = Math.round(fx.frameTime(40)) + 20;
    const endMs = startMs + 12_000;
    const selected = selectSegments(snapshot, { startMs, endMs });
    if (!selected.ok) throw new Error(selected.message);
    // Segment 3 is missing (deleted or never written).
    const missing = fx.segments[3]!;
    const segments = selected.selection.segments.filter((s) => s.name !== missing.name);
    const { result, outputPath, workDir } = await cut('gap', startMs, endMs, 'accurate', segments);
    const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
    const steps = frameSteps(stamps, fx.frameMs);
    expect(steps.increasing).toBe(true);
    expect(steps.bigSteps).toHaveLength(1);
    expect(steps.bigSteps[0]).toBeCloseTo((missing.frames + 1) * fx.frameMs, -1);
    expect(stamps[0]! - startMs).toBeLessThanOrEqual(fx.frameMs + 1);
    expect(endMs - stamps.at(-1)!).toBeLessThanOrEqual(fx.frameMs + 1);
    expect(await decodeErrors(outputPath)).toBe('');
    const expected = (endMs - startMs) / 1000 - missing.durationSeconds;
    expect(Math.abs(result.probe.durationSeconds - expected)).toBeLessThanOrEqual(0.1);
    expect(result.actualEndMs - result.actualStartMs).toBeCloseTo(endMs - startMs, -2);
    await expectCleanWorkDir(workDir);
    measured.gap = { durationError: result.probe.durationSeconds - expected };
  });

  it('leaves a pre-existing workDir and what others put there alone', async () => {
    const workDir = path.join(root, 'work-shared');
    await mkdir(workDir);
    await writeFile(path.join(workDir, 'someone-else.txt'), 'keep');
    const s = snapshot.segments[5]!;
    await pipeline.cut({
      segments: [s],
      startMs: s.startMs + 100,
      endMs: s.startMs + 1500,
      mode: 'accurate',
      outputPath: path.join(root, 'shared.mp4'),
      workDir,
    });
    expect(await readdir(workDir)).toEqual(['someone-else.txt']);
  });

  it('ffmpeg path: an abort kills ffmpeg, removes intermediates and the output, and says it was aborted', async () => {
    const startMs = Math.round(fx.frameTime(40)) + 20;
    const selected = selectSegments(snapshot, { startMs, endMs: startMs + 30_000 });
    if (!selected.ok) throw new Error(selected.message);
    const workDir = path.join(root, 'work-abort');
    const outputPath = path.join(root, 'abort.mp4');
    const controller = new AbortController();
    let sawScratch = false;
    const request: CutRequest = {
      segments: selected.selection.segments,
      startMs,
      endMs: startMs + 30_000,
      mode: 'accurate',
      outputPath,
      workDir,
      signal: controller.signal,
      onProgress: () => {
        // Abort while ffmpeg is busy, once intermediates exist.
        void readdir(workDir).then((entries) => {
          if (entries.length) sawScratch = true;
          controller.abort();
        });
      },
    };
    const error = await ffmpegOnly.cut(request).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as { details?: { aborted?: boolean } }).details?.aborted).toBe(true);
    expect(sawScratch).toBe(true);
    await expectCleanWorkDir(workDir);
    await expect(stat(outputPath)).rejects.toThrow();
  });

  it('native path: an abort mid-write removes the partly written output and says it was aborted', async () => {
    const startMs = Math.round(fx.frameTime(40)) + 20;
    const selected = selectSegments(snapshot, { startMs, endMs: startMs + 30_000 });
    if (!selected.ok) throw new Error(selected.message);
    const workDir = path.join(root, 'work-abort-native');
    const outputPath = path.join(root, 'abort-native.mp4');
    const controller = new AbortController();
    let writtenBeforeAbort = 0;
    const error = await pipeline
      .cut({
        segments: selected.selection.segments,
        startMs,
        endMs: startMs + 30_000,
        mode: 'accurate',
        outputPath,
        workDir,
        signal: controller.signal,
        onProgress: (fraction) => {
          // Abort once part of the clip is on disk (progress reports after each segment).
          if (fraction > 0.3 && !controller.signal.aborted) {
            writtenBeforeAbort = statSync(outputPath).size;
            controller.abort();
          }
        },
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(writtenBeforeAbort).toBeGreaterThan(0);
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as { details?: { aborted?: boolean } }).details?.aborted).toBe(true);
    await expect(stat(outputPath)).rejects.toThrow(/ENOENT/);
    await expectCleanWorkDir(workDir);
  });

  it('a damaged segment fails with MEDIA_ERROR and cleans up', async () => {
    const dir = path.join(root, 'damaged');
    await mkdir(dir);
    const picked = snapshot.segments.slice(2, 7);
    const copies: Segment[] = [];
    for (const s of picked) {
      const target = path.join(dir, s.name);
      await copyFile(s.path, target);
      copies.push({ ...s, path: target });
    }
    // Overwrite the middle segment with noise of the same size.
    const victim = copies[2]!;
    const noise = Buffer.alloc(victim.sizeBytes);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await writeFile(victim.path, noise);
    const workDir = path.join(root, 'work-damaged');
    const outputPath = path.join(root, 'damaged.mp4');
    const startMs = copies[0]!.startMs + 500;
    const error = await pipeline
      .cut({ segments: copies, startMs, endMs: startMs + 8000, mode: 'accurate', outputPath, workDir })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    await expectCleanWorkDir(workDir);
    await expect(stat(outputPath)).rejects.toThrow();
  });

  it('a segment removed since the selection is RANGE_UNAVAILABLE, not a media failure', async () => {
    const s = snapshot.segments[4]!;
    const workDir = path.join(root, 'work-removed');
    const error = await pipeline
      .cut({
        segments: [
          s,
          { ...s, name: 'replay_09999.ts', path: path.join(path.dirname(s.path), 'replay_09999.ts') },
        ],
        startMs: s.startMs,
        endMs: s.startMs + 3000,
        mode: 'fast',
        outputPath: path.join(root, 'removed.mp4'),
        workDir,
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isReplayBufferError(error, 'RANGE_UNAVAILABLE')).toBe(true);
    await expectCleanWorkDir(workDir);
  });

  it('an unreadable first segment fails with MEDIA_ERROR naming it, without server paths', async () => {
    const dir = path.join(root, 'garbage');
    await mkdir(dir);
    const s = snapshot.segments[0]!;
    const target = path.join(dir, s.name);
    await writeFile(target, 'this is not MPEG-TS');
    const workDir = path.join(root, 'work-garbage');
    const error = await pipeline
      .cut({
        segments: [{ ...s, path: target }],
        startMs: s.startMs,
        endMs: s.startMs + 1000,
        mode: 'accurate',
        outputPath: path.join(root, 'garbage.mp4'),
        workDir,
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as Error).message).toContain(s.name);
    expect((error as Error).message).not.toContain(root);
    await expectCleanWorkDir(workDir);
  });
});

describe('FfmpegMediaPipeline.probe and poster', () => {
  let clip: CutResult;
  let clipPath: string;
  beforeAll(async () => {
    const startMs = fx.segments[2]!.startMs;
    const r = await cut('for-poster', startMs, startMs + 4000, 'fast');
    clip = r.result;
    clipPath = r.outputPath;
  });

  it('probes a clip', async () => {
    const probe = await pipeline.probe(clipPath);
    expect(probe).toEqual(clip.probe);
    expect(probe.durationSeconds).toBeGreaterThan(3.8);
  });

  it('writes a JPEG poster at the asked width', async () => {
    const poster = path.join(root, 'poster.jpg');
    await pipeline.poster(clipPath, poster, 1, 320);
    const bytes = await readFile(poster);
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const probe = await pipeline.probe(poster);
    expect(probe.width).toBe(320);
    expect(probe.height).toBe(180);
  });

  it('a probe of a missing file is a MEDIA_ERROR', async () => {
    await expect(pipeline.probe(path.join(root, 'nope.mp4'))).rejects.toMatchObject({ code: 'MEDIA_ERROR' });
  });
});
