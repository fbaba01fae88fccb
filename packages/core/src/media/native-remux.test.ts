import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeStampStrip,
  readFrameStamps,
  STAMP_HEIGHT,
  STAMP_WIDTH,
  unwrapStamp,
} from '../../../testing/src/frame-stamp.js';
import { isReplayBufferError } from '../errors.js';
import type { SegmentReader } from '../ports/segment-source.js';
import { readSegmentIndex } from '../segments/segment-index.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';
import { decodeErrors, frameSteps, streamStarts } from './__fixtures__/checks.js';
import { generateLiveKitSegments, type LiveKitFixture } from './__fixtures__/livekit-segments.js';
import { FfmpegMediaPipeline } from './ffmpeg-media-pipeline.js';
import { observeMediaSpawns } from './process-runner.js';

const pipeline = new FfmpegMediaPipeline();
const ORIGIN = Math.floor(Date.now() / 1000) * 1000 - 5_400_000 + 311;

let root: string;
let fx: LiveKitFixture;
let snapshot: SegmentIndexSnapshot;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-native-'));
  const dir = path.join(root, 'segments');
  await mkdir(dir);
  fx = await generateLiveKitSegments({ dir, segmentCount: 8, originMs: ORIGIN, width: 640, height: 360 });
  snapshot = await readSegmentIndex(fx.layout);
}, 120_000);

afterAll(() => rm(root, { recursive: true, force: true }));

/** A cut in accurate mode starting mid-GOP, counting the processes it starts. */
async function nativeCut(
  name: string,
  segments: Segment[],
  startMs: number,
  endMs: number,
  source?: SegmentReader,
) {
  const spawned: string[] = [];
  const stop = observeMediaSpawns((s) => spawned.push(path.basename(s.binary)));
  const outputPath = path.join(root, `${name}.mp4`);
  const workDir = path.join(root, `work-${name}`);
  try {
    const result = await pipeline.cut({
      segments,
      startMs,
      endMs,
      mode: 'accurate',
      outputPath,
      workDir,
      ...(source ? { source } : {}),
    });
    return { result, spawned, outputPath, workDir };
  } finally {
    stop();
  }
}

const inRange = (startMs: number, endMs: number) =>
  snapshot.segments.filter((s) => s.startMs < endMs && s.startMs + s.durationSeconds * 1000 > startMs);

describe('native remux (no ffmpeg process for H.264 + AAC segments)', () => {
  const startMs = () => Math.round(fx.frameTime(fx.segments[1]!.firstFrame + 9)) + 10;

  it('reads segments through a non-local source (object keys, not files) and is frame-exact', async () => {
    const files = new Map(snapshot.segments.map((s) => [`rooms/r1/${s.name}`, s.path]));
    const opened: string[] = [];
    // Streams the bytes the way an object store does; the keys are not paths on this disk.
    const source: SegmentReader = {
      local: false,
      open: async (segment) => {
        opened.push(segment.path);
        return createReadStream(files.get(segment.path)!, { highWaterMark: 64 * 1024 });
      },
    };
    const from = startMs();
    const to = from + 7000;
    const segments = inRange(from, to).map((s) => ({ ...s, path: `rooms/r1/${s.name}` }));
    const { result, spawned, outputPath, workDir } = await nativeCut(
      'object-keys',
      segments,
      from,
      to,
      source,
    );
    expect(spawned).toEqual([]);
    // Each segment is read once (the boundary ones are kept from planning).
    expect([...opened].sort()).toEqual(segments.map((s) => s.path).sort());
    const stamps = await readFrameStamps(outputPath, { referenceMs: from });
    expect(stamps[0]! - from).toBeGreaterThanOrEqual(-1);
    expect(stamps[0]! - from).toBeLessThanOrEqual(fx.frameMs + 1);
    expect(to - stamps.at(-1)!).toBeGreaterThan(0);
    expect(to - stamps.at(-1)!).toBeLessThanOrEqual(fx.frameMs + 1);
    expect(frameSteps(stamps, fx.frameMs).irregular).toBe(0);
    expect(Math.abs(result.probe.durationSeconds - 7)).toBeLessThanOrEqual(0.1);
    expect(result.probe).toMatchObject({ width: 640, height: 360, videoCodec: 'h264', audioCodec: 'aac' });
    expect(await decodeErrors(outputPath)).toBe('');
    // Audio starts with the video (its own edit list) and lasts as long.
    const starts = await streamStarts(outputPath);
    expect(starts.video).toBeCloseTo(0, 3);
    expect(Math.abs(starts.audio - starts.video)).toBeLessThanOrEqual(fx.frameMs / 1000);
    await expect(stat(workDir)).rejects.toThrow(/ENOENT/);
  });

  it('Chromium’s <video> honours the edit list: first and last frames, duration (moov at the end, over Range)', async () => {
    const from = startMs();
    const to = from + 6000;
    const { result, outputPath } = await nativeCut('chromium', inRange(from, to), from, to);
    const { server, origin } = await serveClip(outputPath);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--mute-audio',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      const shown = (await page.evaluate(
        `window.grabFrames(${JSON.stringify({ w: STAMP_WIDTH, h: STAMP_HEIGHT })})`,
      )) as { duration: number; width: number; first: number[]; last: number[] };
      expect(shown.width).toBe(640);
      expect(Math.abs(shown.duration - result.probe.durationSeconds)).toBeLessThan(0.02);
      const first = unwrapStamp(decodeStampStrip(Uint8Array.from(shown.first)), from);
      const last = unwrapStamp(decodeStampStrip(Uint8Array.from(shown.last)), from);
      // The picture at 0 is the requested frame, not the keyframe the copy starts from.
      expect(first - from).toBeGreaterThanOrEqual(-1);
      expect(first - from).toBeLessThanOrEqual(fx.frameMs + 1);
      expect(to - last).toBeGreaterThan(0);
      expect(to - last).toBeLessThanOrEqual(fx.frameMs + 1);
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);

  it('a truncated segment fails with MEDIA_ERROR and leaves no file, whether or not the cut is packet-aligned', async () => {
    for (const aligned of [true, false]) {
      const dir = path.join(root, `truncated-${aligned}`);
      await mkdir(dir);
      const copies: Segment[] = [];
      for (const s of snapshot.segments.slice(1, 6)) {
        await copyFile(s.path, path.join(dir, s.name));
        copies.push({ ...s, path: path.join(dir, s.name) });
      }
      const victim = copies[2]!;
      const half = Math.floor(victim.sizeBytes / 2 / 188) * 188;
      await truncate(victim.path, aligned ? half : half + 77);
      const from = copies[0]!.startMs + 300;
      const error = await nativeCut(`truncated-${aligned}`, copies, from, from + 8000).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
      expect((error as Error).message).not.toContain(root);
      await expect(stat(path.join(root, `truncated-${aligned}.mp4`))).rejects.toThrow(/ENOENT/);
      await expect(stat(path.join(root, `work-truncated-${aligned}`))).rejects.toThrow(/ENOENT/);
    }
  });
});

/** Serves the clip with Range support (moov is at the end) and a page that grabs frames. */
async function serveClip(file: string): Promise<{ server: Server; origin: string }> {
  const bytes = await readFile(file);
  const page = await readFile(path.join(import.meta.dirname, '__fixtures__', 'play-clip-page.html'));
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      return;
    }
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Number(range[2]) : bytes.length - 1;
    res.writeHead(range ? 206 : 200, {
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      'content-length': end - start + 1,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
    });
    res.end(bytes.subarray(start, end + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
