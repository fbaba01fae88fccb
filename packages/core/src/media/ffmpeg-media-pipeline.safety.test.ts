import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrameStamps } from '../../../testing/src/frame-stamp.js';
import { isReplayBufferError } from '../errors.js';
import { readSegmentIndex } from '../segments/segment-index.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';
import { generateLiveKitSegments, type LiveKitFixture } from './__fixtures__/livekit-segments.js';
import { FfmpegMediaPipeline } from './ffmpeg-media-pipeline.js';
import { observeMediaSpawns, resolveFfmpegPath, runMedia, segmentInputArgs } from './process-runner.js';

const pipeline = new FfmpegMediaPipeline();
// The previous pipeline, kept as the native remux's fallback.
const ffmpegOnly = new FfmpegMediaPipeline({ remux: 'ffmpeg' });
const ORIGIN = Math.floor(Date.now() / 1000) * 1000 - 7_200_000 + 457;

let root: string;
let fx: LiveKitFixture;
let snapshot: SegmentIndexSnapshot;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-media-safety-'));
  const dir = path.join(root, 'segments');
  await mkdir(dir);
  fx = await generateLiveKitSegments({ dir, segmentCount: 9, originMs: ORIGIN });
  snapshot = await readSegmentIndex(fx.layout);
}, 120_000);

afterAll(() => rm(root, { recursive: true, force: true }));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs a cut while counting the processes the runner starts (by binary name). */
async function countedCut(
  name: string,
  startMs: number,
  endMs: number,
  mode: 'accurate' | 'fast',
  using = pipeline,
) {
  const spawned: string[] = [];
  const stop = observeMediaSpawns((s) => spawned.push(path.basename(s.binary)));
  try {
    const result = await using.cut({
      segments: snapshot.segments.filter(
        (s) => s.startMs < endMs && s.startMs + s.durationSeconds * 1000 > startMs,
      ),
      startMs,
      endMs,
      mode,
      outputPath: path.join(root, `${name}.mp4`),
      workDir: path.join(root, `work-${name}`),
    });
    return { result, spawned, outputPath: path.join(root, `${name}.mp4`) };
  } finally {
    stop();
  }
}

describe('processes per save', () => {
  it('native: no process at all, accurate mid-GOP or fast; frame-exact', async () => {
    const startMs = fx.frameTime(fx.segments[1]!.firstFrame + 7);
    const endMs = startMs + 6000;
    const { result, spawned, outputPath } = await countedCut('native-mid-gop', startMs, endMs, 'accurate');
    expect(spawned).toEqual([]);
    const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
    expect(Math.abs(stamps[0]! - startMs)).toBeLessThan(fx.frameMs);
    expect(Math.abs(stamps.at(-1)! + fx.frameMs - endMs)).toBeLessThan(fx.frameMs);
    expect(Math.abs(result.probe.durationSeconds - 6)).toBeLessThanOrEqual(0.1);
    expect((await countedCut('native-fast', startMs, endMs, 'fast')).spawned).toEqual([]);
  });

  it('ffmpeg path, accurate, starting mid-GOP: two ffmpeg runs (head re-encode + join), no ffprobe; frame-exact', async () => {
    const startMs = fx.frameTime(fx.segments[1]!.firstFrame + 7);
    const endMs = startMs + 6000;
    const { result, spawned, outputPath } = await countedCut(
      'mid-gop',
      startMs,
      endMs,
      'accurate',
      ffmpegOnly,
    );
    expect(spawned).toEqual(['ffmpeg', 'ffmpeg']);
    const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
    expect(Math.abs(stamps[0]! - startMs)).toBeLessThan(fx.frameMs);
    expect(Math.abs(stamps.at(-1)! + fx.frameMs - endMs)).toBeLessThan(fx.frameMs);
    expect(Math.abs(result.probe.durationSeconds - 6)).toBeLessThanOrEqual(0.1);
  });

  it('ffmpeg path, accurate on a keyframe, and fast anywhere: one ffmpeg run', async () => {
    const onKey = fx.segments[2]!.startMs;
    expect((await countedCut('on-key', onKey, onKey + 5000, 'accurate', ffmpegOnly)).spawned).toEqual([
      'ffmpeg',
    ]);
    const mid = fx.frameTime(fx.segments[2]!.firstFrame + 5);
    expect((await countedCut('fast', mid, mid + 5000, 'fast', ffmpegOnly)).spawned).toEqual(['ffmpeg']);
  });
});

describe('untrusted segment directories', () => {
  it('a .ts whose content is an HLS playlist naming another file is not followed', async () => {
    // The "victim": a real segment outside the attacker's directory.
    const victim = fx.segments[0]!.path;
    const evilDir = path.join(root, 'evil');
    await mkdir(evilDir);
    const evil = path.join(evilDir, 'replay_00000.ts');
    await writeFile(evil, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nfile:${victim}\n#EXT-X-ENDLIST\n`);
    const segment: Segment = {
      ...fx.segments[0]!,
      sequence: 0,
      timing: 'playlist',
      sizeBytes: 100,
      path: evil,
    };

    const cutError = await pipeline
      .cut({
        segments: [segment],
        startMs: segment.startMs,
        endMs: segment.startMs + 1500,
        mode: 'fast',
        outputPath: path.join(evilDir, 'out.mp4'),
        workDir: path.join(evilDir, 'work'),
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isReplayBufferError(cutError, 'MEDIA_ERROR')).toBe(true);
    await expect(stat(path.join(evilDir, 'out.mp4'))).rejects.toThrow(/ENOENT/);

    // Thumbnails take a frame of a segment: refused too.
    const posterError = await pipeline.poster(evil, path.join(evilDir, 'p.jpg'), 0, 160).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isReplayBufferError(posterError, 'MEDIA_ERROR')).toBe(true);
    expect(await readdir(evilDir)).toEqual(['replay_00000.ts']);

    // The same input without the forced format is followed by ffmpeg (what the options prevent).
    const followed = await runMedia({
      binary: resolveFfmpegPath(),
      args: ['-v', 'error', '-protocol_whitelist', 'file', '-i', evil, '-f', 'null', '-'],
      onProgress: () => undefined,
    }).then(
      (r) => r.progress?.frame ?? 0,
      () => 0,
    );
    const forced = await runMedia({
      binary: resolveFfmpegPath(),
      args: ['-v', 'error', ...segmentInputArgs(evil), '-f', 'null', '-'],
      onProgress: () => undefined,
    }).then(
      (r) => r.progress?.frame ?? 0,
      () => 0,
    );
    expect(followed).toBeGreaterThan(0);
    expect(forced).toBe(0);
  });
});

describe('cancellation', () => {
  it('ffmpeg path: an abort mid-save leaves no process, no output and no temp file', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const startMs = fx.frameTime(fx.segments[0]!.firstFrame + 3);
    const endMs = snapshot.endMs!;
    const workDir = path.join(root, 'work-abort');
    const outputPath = path.join(root, 'abort.mp4');
    const error = await ffmpegOnly
      .cut({
        segments: snapshot.segments,
        startMs,
        endMs,
        mode: 'accurate',
        outputPath,
        workDir,
        signal: controller.signal,
        // Abort once ffmpeg is running and has reported progress.
        onProgress: () => {
          for (const pid of childPids()) pids.push(pid);
          controller.abort(new Error('user cancelled'));
        },
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ aborted: true });
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    await expect(stat(outputPath)).rejects.toThrow(/ENOENT/);
    await expect(stat(workDir)).rejects.toThrow(/ENOENT/);
  });
});

/** This process's ffmpeg children (from /proc), to check they are gone after an abort. */
function childPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid && stat.includes('(ffmpeg)')) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

describe('a stuck ffmpeg (the fallback path)', () => {
  it('is killed at its timeout and frees everything, while another save gets its clip', async () => {
    const stuckPipeline = new FfmpegMediaPipeline({ processTimeoutMs: 1500, remux: 'ffmpeg' });
    const stuckOut = path.join(root, 'stuck.mp4');
    const stuckWork = path.join(root, 'work-stuck');
    const stopped: number[] = [];
    // Freeze the first ffmpeg the stuck save starts (as on a hung NFS read).
    const stop = observeMediaSpawns((s) => {
      if (stopped.length === 0 && s.pid && s.args.some((a) => a.includes('work-stuck'))) {
        stopped.push(s.pid);
        process.kill(s.pid, 'SIGSTOP');
      }
    });
    const startMs = fx.frameTime(fx.segments[3]!.firstFrame + 4);
    const stuck = stuckPipeline
      .cut({
        segments: snapshot.segments.slice(3, 6),
        startMs,
        endMs: startMs + 3000,
        mode: 'accurate',
        outputPath: stuckOut,
        workDir: stuckWork,
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    // Meanwhile another save runs and completes.
    const other = await countedCut(
      'beside-stuck',
      fx.segments[6]!.startMs,
      fx.segments[6]!.startMs + 3000,
      'fast',
    );
    expect(other.result.sizeBytes).toBeGreaterThan(0);
    const error = await stuck;
    stop();
    expect(stopped).toHaveLength(1);
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ timedOut: true });
    expect(isAlive(stopped[0]!)).toBe(false);
    await expect(stat(stuckOut)).rejects.toThrow(/ENOENT/);
    await expect(stat(stuckWork)).rejects.toThrow(/ENOENT/);
  });
});
