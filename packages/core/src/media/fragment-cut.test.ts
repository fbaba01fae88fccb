import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrameStamps } from '../../../testing/src/frame-stamp.js';
import { isReplayBufferError } from '../errors.js';
import { readSegmentIndex } from '../segments/segment-index.js';
import { selectSegments } from '../segments/select.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';
import { decodeErrors, frameSteps, streamStarts } from './__fixtures__/checks.js';
import { generateLiveKitSegments, type LiveKitFixture } from './__fixtures__/livekit-segments.js';
import { FfmpegMediaPipeline } from './ffmpeg-media-pipeline.js';
import { initSignature, splitFragmentedMp4 } from './fmp4-boxes.js';
import { FragmentCache } from './fragment-cache.js';

const ORIGIN = Math.floor(Date.now() / 1000) * 1000 - 3_600_000 + 321;
const WIDTH = 640;
const HEIGHT = 360;

let root: string;
let fx: LiveKitFixture;
let snapshot: SegmentIndexSnapshot;
let cache: FragmentCache;
let pipeline: FfmpegMediaPipeline;
const measured: Record<string, unknown> = {};

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-frag-'));
  const dir = path.join(root, 'segments');
  await mkdir(dir);
  // 19 segments of 1.933/2.067/2.000 s at 15 fps: 38 s.
  fx = await generateLiveKitSegments({
    dir,
    segmentCount: 19,
    originMs: ORIGIN,
    width: WIDTH,
    height: HEIGHT,
  });
  snapshot = await readSegmentIndex(fx.layout);
  cache = new FragmentCache({ dir: path.join(root, 'clips', '.fragments') });
  // Fill every miss on the spot: these tests check the fragment cut itself.
  pipeline = new FfmpegMediaPipeline({
    fragmentCache: cache,
    fragmentMaxColdSegments: Number.POSITIVE_INFINITY,
  });
});

afterAll(async () => {
  console.log('[fragment cut measurements]', JSON.stringify(measured, null, 2));
  await rm(root, { recursive: true, force: true });
});

async function cut(
  name: string,
  startMs: number,
  endMs: number,
  mode: 'accurate' | 'fast',
  using = pipeline,
  signal?: AbortSignal,
  from: SegmentIndexSnapshot = snapshot,
) {
  const selected = selectSegments(from, { startMs, endMs });
  if (!selected.ok) throw new Error(selected.message);
  const workDir = path.join(root, `work-${name}`);
  const outputPath = path.join(root, `${name}.mp4`);
  const progress: number[] = [];
  const t = performance.now();
  const result = await using.cut({
    segments: selected.selection.segments,
    startMs: selected.selection.startMs,
    endMs: selected.selection.endMs,
    mode,
    outputPath,
    workDir,
    onProgress: (f) => progress.push(f),
    ...(signal ? { signal } : {}),
  });
  const ms = Math.round(performance.now() - t);
  return { result, outputPath, workDir, progress, ms };
}

/** Every check today's remux path must pass, on the clip at `outputPath`. */
async function checkClip(
  name: string,
  run: Awaited<ReturnType<typeof cut>>,
  startMs: number,
  endMs: number,
  expectedFirstMs: number,
  media: { frameMs: number; fps: number } = fx,
) {
  const { result, outputPath, workDir, progress, ms } = run;
  const frameMs = media.frameMs;
  const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
  const steps = frameSteps(stamps, frameMs);
  const first = stamps[0]!;
  const last = stamps.at(-1)!;
  const seconds = (endMs - expectedFirstMs) / 1000;
  const durationError = result.probe.durationSeconds - seconds;
  measured[name] = {
    path: result.path,
    cutMs: ms,
    durationErrorMs: Math.round(durationError * 1000),
    firstStampErrorMs: first - expectedFirstMs,
    lastStampErrorMs: last - endMs,
  };
  expect(await decodeErrors(outputPath)).toBe('');
  expect(Math.abs(durationError)).toBeLessThanOrEqual(0.1);
  expect(first - expectedFirstMs).toBeGreaterThanOrEqual(-1);
  expect(first - expectedFirstMs).toBeLessThanOrEqual(frameMs + 1);
  expect(endMs - last).toBeGreaterThan(0);
  expect(endMs - last).toBeLessThanOrEqual(frameMs + 1);
  expect(steps.increasing).toBe(true);
  expect(steps.irregular).toBe(0);
  expect(stamps.length).toBe(Math.round((last - first) / frameMs) + 1);
  expect(Math.abs(result.actualStartMs - first)).toBeLessThanOrEqual(1);
  expect(Math.abs(result.actualEndMs - (last + frameMs))).toBeLessThanOrEqual(1);
  expect(result.probe).toMatchObject({ width: WIDTH, height: HEIGHT, videoCodec: 'h264', audioCodec: 'aac' });
  expect(result.probe.frameRate).toBeCloseTo(media.fps, 1);
  const starts = await streamStarts(outputPath);
  expect(starts.video).toBeCloseTo(0, 3);
  expect(Math.abs(starts.audio - starts.video)).toBeLessThanOrEqual(frameMs / 1000);
  const bytes = await readFile(outputPath);
  expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  expect(result.sizeBytes).toBe(bytes.length);
  // Browser-playable layout: ftyp, then the moov, then fragments.
  expect(bytes.toString('latin1', 4, 8)).toBe('ftyp');
  expect(bytes.toString('latin1', bytes.readUInt32BE(0) + 4, bytes.readUInt32BE(0) + 8)).toBe('moov');
  expect(progress.at(-1)).toBe(1);
  expect(progress.every((p, i) => i === 0 || p > progress[i - 1]!)).toBe(true);
  await expect(stat(workDir)).rejects.toThrow(/ENOENT/);
  return stamps;
}

async function cacheFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const session of await readdir(cache.dir).catch(() => [] as string[])) {
    for (const name of await readdir(path.join(cache.dir, session))) out.push(path.join(session, name));
  }
  return out.sort();
}

describe('fragment cut (cached fMP4 fragments joined by byte copy)', () => {
  it('accurate 10 s from a keyframe (no head to re-encode): fragments path, frame-exact, clean, in sync', async () => {
    const startMs = fx.segments[3]!.startMs;
    const endMs = startMs + 10_000;
    const run = await cut('accurate-10s-keyframe', startMs, endMs, 'accurate');
    expect(run.result.fragmentFallbackReason ?? 'none').toBe('none');
    expect(run.result.path).toBe('fragments');
    await checkClip('accurate-10s-keyframe', run, startMs, endMs, startMs);
  });

  it('accurate 30 s from a keyframe: fragments path; warm segments are not remuxed again', async () => {
    const startMs = fx.segments[2]!.startMs;
    const endMs = startMs + 30_000;
    const before = { ...cache.stats };
    const run = await cut('accurate-30s-keyframe', startMs, endMs, 'accurate');
    expect(run.result.fragmentFallbackReason ?? 'none').toBe('none');
    expect(run.result.path).toBe('fragments');
    await checkClip('accurate-30s-keyframe', run, startMs, endMs, startMs);
    // Segments shared with the 10 s cut came from disk.
    expect(cache.stats.hits).toBeGreaterThan(before.hits);

    const files = await cacheFiles();
    const mtimes = await Promise.all(files.map(async (f) => (await stat(path.join(cache.dir, f))).mtimeMs));
    const warm = { ...cache.stats };
    const again = await cut('accurate-30s-warm', startMs, endMs, 'accurate');
    expect(again.result.path).toBe('fragments');
    expect(cache.stats.remuxes).toBe(warm.remuxes);
    expect(cache.stats.hits).toBeGreaterThan(warm.hits);
    expect(await cacheFiles()).toEqual(files);
    const mtimesAfter = await Promise.all(
      files.map(async (f) => (await stat(path.join(cache.dir, f))).mtimeMs),
    );
    expect(mtimesAfter).toEqual(mtimes);
    // Same inputs, same bytes.
    expect(again.result.sha256).toBe(run.result.sha256);
    measured['accurate-30s-warm'] = { cutMs: again.ms };
  });

  it('accurate 10 s and 30 s from mid-segment: the re-encoded head cannot share the moov, so the remux makes it', async () => {
    // The x264 head's SPS/PPS differ from the source's: one avcC cannot describe both.
    const before = { ...cache.stats };
    for (const [name, frame, seconds] of [
      ['accurate-10s-mid', 40, 10],
      ['accurate-30s-mid', 100, 30],
    ] as const) {
      const startMs = Math.round(fx.frameTime(frame)) + 20;
      const endMs = startMs + seconds * 1000;
      const run = await cut(name, startMs, endMs, 'accurate');
      expect(run.result.path).toBe('remux');
      expect(run.result.fragmentFallbackReason).toMatch(/decoder configurations/);
      await checkClip(name, run, startMs, endMs, startMs);
    }
    // The second cut knew from the first that heads of this buffer do not fit: it did not try.
    expect(cache.stats.hits + cache.stats.remuxes - before.hits - before.remuxes).toBe(1);
  });

  it('fast 10 s and 30 s: start snapped to the keyframe, fragments path', async () => {
    for (const [name, frame, seconds] of [
      ['fast-10s', 40, 10],
      ['fast-30s', 100, 30],
    ] as const) {
      const startMs = Math.round(fx.frameTime(frame)) + 20;
      const endMs = startMs + seconds * 1000;
      const run = await cut(name, startMs, endMs, 'fast');
      expect(run.result.fragmentFallbackReason ?? 'none').toBe('none');
      expect(run.result.path).toBe('fragments');
      const seg = fx.segments.filter((s) => s.startMs <= startMs).at(-1)!;
      const keyMs = Math.floor(fx.frameTime(seg.firstFrame));
      await checkClip(name, run, startMs, endMs, keyMs);
    }
  });

  it('the last 20 s of the buffer from a keyframe: every segment comes from the cache as is', async () => {
    const startMs = fx.segments[9]!.startMs;
    const endMs = snapshot.endMs!;
    const selected = selectSegments(snapshot, { startMs, endMs });
    if (!selected.ok) throw new Error(selected.message);
    for (const s of selected.selection.segments) expect(await cache.warm(s)).toBe(true);
    const before = { ...cache.stats };
    const run = await cut('last-20s', startMs, endMs, 'fast');
    expect(run.result.fragmentFallbackReason ?? 'none').toBe('none');
    expect(run.result.path).toBe('fragments');
    // No segment remuxed at save time: head and tail whole, straight from the cache.
    expect(cache.stats.remuxes).toBe(before.remuxes);
    expect(cache.stats.hits - before.hits).toBe(selected.selection.segments.length);
    await checkClip('last-20s', run, startMs, endMs, startMs);
  });

  it('a cut inside one segment is one part with both cut points', async () => {
    const s = fx.segments[6]!;
    const startMs = s.startMs + 300;
    const endMs = s.startMs + 1500;
    const run = await cut('one-segment', startMs, endMs, 'accurate');
    expect(run.result.path).toBe('fragments');
    await checkClip('one-segment', run, startMs, endMs, startMs);
  });

  it('accurate from mid-segment on a rate-controlled source: the re-encoded head shares the moov', async () => {
    // Encoded like the egress emulator (x264 ultrafast, zerolatency, bitrate-controlled,
    // keyframes only at segment starts): the head's SPS/PPS come out identical to the source's.
    const dir = path.join(root, 'abr');
    await mkdir(dir);
    const fps = 15;
    const origin = ORIGIN + 100_000;
    const abrFx = await generateLiveKitSegments({
      dir,
      prefix: 'abr',
      segmentCount: 7,
      framePattern: [30],
      fps,
      width: WIDTH,
      height: HEIGHT,
      originMs: origin,
      rateControl: { bitrateKbps: 800 },
    });
    const abr = await readSegmentIndex(abrFx.layout);
    const startMs = Math.round(origin + (40 * 1000) / fps) + 20;
    const endMs = startMs + 8000;
    const run = await cut('abr-accurate-8s', startMs, endMs, 'accurate', pipeline, undefined, abr);
    expect(run.result.fragmentFallbackReason ?? 'none').toBe('none');
    expect(run.result.path).toBe('fragments');
    await checkClip('abr-accurate-8s', run, startMs, endMs, startMs, { frameMs: 1000 / fps, fps });
  });

  it('a cold range is cut by the remux and cached in the background; the next save joins fragments', async () => {
    const local = new FragmentCache({ dir: path.join(root, 'cache-cold') });
    const lazy = new FfmpegMediaPipeline({ fragmentCache: local });
    const startMs = fx.segments[5]!.startMs;
    const endMs = startMs + 16_000;
    const first = await cut('cold', startMs, endMs, 'fast', lazy);
    expect(first.result.path).toBe('remux');
    expect(first.result.fragmentFallbackReason).toMatch(/cold/);
    await checkClip('cold', first, startMs, endMs, startMs);
    await local.warmInBackground([]);
    const remuxed = local.stats.remuxes;
    expect(remuxed).toBeGreaterThan(3);
    const second = await cut('cold-then-warm', startMs, endMs, 'fast', lazy);
    expect(second.result.fragmentFallbackReason ?? 'none').toBe('none');
    expect(second.result.path).toBe('fragments');
    expect(local.stats.remuxes).toBe(remuxed);
    await checkClip('cold-then-warm', second, startMs, endMs, startMs);
  });

  it('close() waits for background caching and stops queued work, so nothing writes afterwards', async () => {
    const dir = path.join(root, 'cache-close');
    const local = new FragmentCache({ dir });
    await local.warmInBackground(snapshot.segments.slice(0, 2));
    void local.warmInBackground(snapshot.segments.slice(2, 12));
    // Close while the second batch is under way.
    while (local.stats.remuxes < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await local.close();
    const remuxed = local.stats.remuxes;
    expect(remuxed).toBeGreaterThanOrEqual(3);
    expect(remuxed).toBeLessThan(12);
    expect(await local.warmInBackground(snapshot.segments.slice(12, 14))).toBeUndefined();
    const listing = async () => (await readdir(dir, { recursive: true })).sort();
    const after = await listing();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await listing()).toEqual(after);
    expect(local.stats.remuxes).toBe(remuxed);
    await rm(dir, { recursive: true });
  });

  it('a range across a gap falls back to the remux', async () => {
    const startMs = fx.segments[8]!.startMs;
    const endMs = startMs + 8000;
    const selected = selectSegments(snapshot, { startMs, endMs });
    if (!selected.ok) throw new Error(selected.message);
    const missing = fx.segments[9]!.name;
    const workDir = path.join(root, 'work-gap');
    const outputPath = path.join(root, 'gap.mp4');
    const result = await pipeline.cut({
      segments: selected.selection.segments.filter((s) => s.name !== missing),
      startMs,
      endMs,
      mode: 'fast',
      outputPath,
      workDir,
    });
    expect(result.path).toBe('remux');
    expect(result.fragmentFallbackReason).toMatch(/gap/);
    expect(await decodeErrors(outputPath)).toBe('');
    await expect(stat(workDir)).rejects.toThrow(/ENOENT/);
  });

  it('inits that differ only by trailing zero bytes in a parameter set compare equal', async () => {
    const a = await cache.get(snapshot.segments[0]!);
    const b = await cache.get(snapshot.segments[1]!);
    expect(initSignature(a.init)).toBe(initSignature(b.init));
    const ultrafast = path.join(root, 'ultrafast.mp4');
    const { execFile } = await import('node:child_process');
    // A different encoder configuration (fragmented output of an ultrafast re-encode) does not.
    await new Promise<void>((resolve, reject) =>
      execFile(
        process.env.FFMPEG_PATH ?? 'ffmpeg',
        [
          '-v',
          'error',
          '-i',
          snapshot.segments[0]!.path,
          '-map',
          '0:v',
          '-map',
          '0:a',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-c:a',
          'copy',
          '-bsf:a',
          'aac_adtstoasc',
          '-movflags',
          'frag_keyframe+empty_moov+default_base_moof',
          ultrafast,
        ],
        { timeout: 120_000, killSignal: 'SIGKILL' },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    const other = splitFragmentedMp4(await readFile(ultrafast));
    expect(initSignature(other.init)).not.toBe(initSignature(a.init));
  });

  it('concurrent requests for one segment share one remux', async () => {
    const local = new FragmentCache({ dir: path.join(root, 'cache-concurrent') });
    const s = snapshot.segments[12]!;
    const [a, b, c] = await Promise.all([local.get(s), local.get(s), local.get(s)]);
    expect(local.stats).toEqual({ remuxes: 1, hits: 0, joined: 2 });
    expect(a.mediaPath).toBe(b.mediaPath);
    expect(c.init.equals(a.init)).toBe(true);
    // A new instance finds it on disk.
    const reopened = new FragmentCache({ dir: local.dir });
    await reopened.get(s);
    expect(reopened.stats).toEqual({ remuxes: 0, hits: 1, joined: 0 });
  });

  it('a failed remux leaves no partial cache file', async () => {
    const local = new FragmentCache({ dir: path.join(root, 'cache-failed') });
    const dir = path.join(root, 'broken');
    await mkdir(dir);
    const broken: Segment = { ...snapshot.segments[0]!, path: path.join(dir, snapshot.segments[0]!.name) };
    await writeFile(broken.path, 'this is not MPEG-TS');
    await expect(local.get(broken)).rejects.toThrow();
    const sessions = await readdir(local.dir);
    expect(sessions).toHaveLength(1);
    expect(await readdir(path.join(local.dir, sessions[0]!))).toEqual(['source-dir']);
    // warm() never rejects.
    expect(await local.warm(broken)).toBe(false);
  });

  it('a rewritten segment is remuxed again, and sweep drops what left the buffer', async () => {
    const local = new FragmentCache({ dir: path.join(root, 'cache-sweep') });
    const dir = path.join(root, 'sweep-src');
    await mkdir(dir);
    const copies: Segment[] = [];
    for (const s of snapshot.segments.slice(3, 5)) {
      const target = path.join(dir, s.name);
      await copyFile(s.path, target);
      copies.push({ ...s, path: target });
    }
    await Promise.all(copies.map((s) => local.get(s)));
    expect(local.stats.remuxes).toBe(2);
    // Same name, new mtime: a different entry.
    await utimes(copies[0]!.path, new Date(), new Date(Date.now() + 5000));
    await local.get(copies[0]!);
    expect(local.stats.remuxes).toBe(3);
    expect(await local.sweep()).toBe(1); // the stale entry of copies[0]
    await rm(copies[1]!.path);
    expect(await local.sweep()).toBe(1);
    await rm(copies[0]!.path);
    expect(await local.sweep()).toBe(1);
    expect(await readdir(local.dir)).toEqual([]);
  });

  it('an abort removes the output and the scratch space and leaves no temp file in the cache', async () => {
    const startMs = Math.round(fx.frameTime(200)) + 20;
    const endMs = startMs + 12_000;
    const controller = new AbortController();
    const selected = selectSegments(snapshot, { startMs, endMs });
    if (!selected.ok) throw new Error(selected.message);
    const workDir = path.join(root, 'work-abort');
    const outputPath = path.join(root, 'abort.mp4');
    const error = await pipeline
      .cut({
        segments: selected.selection.segments,
        startMs,
        endMs,
        mode: 'accurate',
        outputPath,
        workDir,
        signal: controller.signal,
        onProgress: (f) => {
          // Abort once the head is done, while fragments are being gathered.
          if (f >= 0.15) controller.abort();
        },
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as { details?: { aborted?: boolean } }).details?.aborted).toBe(true);
    await expect(stat(outputPath)).rejects.toThrow();
    await expect(stat(workDir)).rejects.toThrow(/ENOENT/);
    // Shared remuxes finish on their own; give them a moment, then no temp file may remain.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await cacheFiles()).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
