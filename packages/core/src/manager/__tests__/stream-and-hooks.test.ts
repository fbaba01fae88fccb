/**
 * streamReplay (a download without a clip) and the clip file-record hook, on emulator segments
 * cut by the real ffmpeg pipeline: exact window by the frame stamps, no record, no quota, and
 * cancellation that leaves no ffmpeg process and no temp file.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type EgressEmulator, readFrameStamps, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayErrorContext } from '../../events.js';
import { FfmpegMediaPipeline } from '../../media/index.js';
import { createMemoryStores } from '../../memory/index.js';
import type { ClipFileRecords } from '../../ports/clip-file-records.js';
import type { CutRequest, MediaPipeline } from '../../ports/media-pipeline.js';
import type { ClipRecord } from '../../types.js';
import { ReplayBufferManager } from '../replay-buffer-manager.js';
import { ffprobeJson } from './clips-helpers.js';
import { eventually } from './lifecycle-helpers.js';

const FPS = 10;
const FRAME_MS = 1000 / FPS;
const HISTORY_SECONDS = 30;
const USER = 'stream-user';

/** ffmpeg processes this test process started and that still run. */
function ffmpegChildren(): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child at all
  }
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'ffmpeg')
    .map(([pid]) => Number(pid));
}

/** The real pipeline; `onCut` sees each cut request as it starts and may wrap it (to abort at the right moment). */
class WatchedPipeline implements MediaPipeline {
  onCut: ((request: CutRequest) => CutRequest) | null = null;
  constructor(private readonly inner: MediaPipeline) {}
  cut(request: CutRequest) {
    return this.inner.cut(this.onCut?.(request) ?? request);
  }
  probe(file: string) {
    return this.inner.probe(file);
  }
  poster(input: string, output: string, at: number, width?: number) {
    return this.inner.poster(input, output, at, width);
  }
}

describe('streamReplay and clip file records (emulator segments + real ffmpeg)', () => {
  let root: string;
  let clipsDir: string;
  let emulator: EgressEmulator;
  let manager: ReplayBufferManager;
  let sessionId: string;
  let bufferStartMs: number;
  const stores = createMemoryStores();
  const media = new WatchedPipeline(new FfmpegMediaPipeline());
  const fileRecords = { created: [] as ClipRecord[], deleted: [] as ClipRecord[], failNext: false };
  const errors: Array<{ error: Error; context: ReplayErrorContext | undefined }> = [];
  const workDirEntries = () => readdir(path.join(clipsDir, '.work')).catch(() => [] as string[]);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lkr-stream-'));
    clipsDir = path.join(root, 'clips');
    emulator = await startEgressEmulator({
      segmentsRoot: path.join(root, 'segments'),
      historySeconds: HISTORY_SECONDS,
      maxFrameRate: FPS,
      maxHeight: 360,
    });
    const hook: ClipFileRecords = {
      async created({ clip }) {
        if (fileRecords.failNext) {
          fileRecords.failNext = false;
          throw new Error('files table is locked');
        }
        fileRecords.created.push(clip);
      },
      async deleted({ clip }) {
        fileRecords.deleted.push(clip);
      },
    };
    manager = new ReplayBufferManager({
      config: {
        livekit: { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret },
        segmentsDir: path.join(root, 'segments'),
        clipsDir,
        defaultQuality: '720p',
      },
      stores,
      media,
      coordination: { rateLimiter: false },
      hooks: { clipFileRecords: hook },
    });
    manager.on('error', (error, context) => errors.push({ error, context }));
    const started = await manager.startReplayBuffer({
      userId: USER,
      roomName: 'room-stream',
      videoTrackId: 'TR_v',
      audioTrackId: 'TR_a',
    });
    sessionId = started.id;
    await emulator.waitForSegments(started.egressId!, HISTORY_SECONDS / 2 - 1, { timeoutMs: 90_000 });
    // Enough history: stop encoding (CPU); the buffer stays readable during retention.
    await manager.stopReplayBuffer({ userId: USER });
    await emulator.waitForEnd(started.egressId!);
    const status = await manager.getBufferStatus({ userId: USER });
    expect(status?.canCapture).toBe(true);
    bufferStartMs = Date.parse(status!.bufferStart!);
  }, 150_000);

  afterAll(async () => {
    await manager?.close();
    await emulator?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('streams an MP4 of exactly the range (frame stamps), with no clip record and no quota used', async () => {
    const startMs = bufferStartMs + 5_337;
    const endMs = bufferStartMs + 11_591;
    const result = await manager.streamReplay({
      userId: USER,
      startAt: startMs,
      endAt: new Date(endMs).toISOString(),
    });
    expect(result).toMatchObject({
      mimeType: 'video/mp4',
      fileName: expect.stringMatching(/^replay-.*\.mp4$/),
    });
    const file = path.join(root, 'download.mp4');
    await pipeline(result.stream, createWriteStream(file));
    const probe = await ffprobeJson(file, ['-show_format', '-show_streams']);
    expect(probe.format.format_name).toContain('mp4');
    expect(Math.abs(Number(probe.format.duration) - (endMs - startMs) / 1000)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(result.durationSeconds - (endMs - startMs) / 1000)).toBeLessThanOrEqual(0.1);
    const stamps = await readFrameStamps(file, { referenceMs: startMs });
    expect(Math.abs(stamps[0]! - startMs)).toBeLessThan(FRAME_MS);
    expect(Math.abs(stamps.at(-1)! + FRAME_MS - endMs)).toBeLessThan(FRAME_MS);
    expect(Date.parse(result.start)).toBeCloseTo(stamps[0]!, -1);
    // Nothing kept: no record, no quota, and the temp file went with the stream.
    expect((await stores.clips.listByOwner(USER)).items).toEqual([]);
    expect(await manager.getQuota({ userId: USER })).toMatchObject({ usedBytes: 0, reservedBytes: 0 });
    await eventually(async () => (await workDirEntries()).length === 0, 5_000, 'the temp file to go');
  }, 60_000);

  it('the last N seconds of a buffer that has ended are its last N recorded seconds', async () => {
    const result = await manager.streamReplay({ userId: USER, sessionId, durationSeconds: 4, mode: 'fast' });
    result.stream.resume();
    await new Promise((resolve) => result.stream.once('close', resolve));
    expect(Math.abs(result.durationSeconds - 4)).toBeLessThanOrEqual(2.1); // fast: the start snaps to a keyframe
    await eventually(async () => (await workDirEntries()).length === 0, 5_000, 'the temp file to go');
  }, 60_000);

  it('aborting the signal while the cut writes stops it and leaves no temp file and no process', async () => {
    const before = ffmpegChildren();
    const controller = new AbortController();
    // Abort at the cut's first progress report: part of the clip is written, more is to come.
    media.onCut = (request) => ({
      ...request,
      onProgress: (fraction) => {
        request.onProgress?.(fraction);
        if (fraction > 0 && fraction < 1) controller.abort();
      },
    });
    try {
      const error = await manager
        .streamReplay({
          userId: USER,
          startAt: bufferStartMs + 1_111,
          endAt: bufferStartMs + 26_999,
          signal: controller.signal,
        })
        .catch((e: unknown) => e);
      expect(controller.signal.aborted).toBe(true);
      expect(error).toMatchObject({ code: 'INTERNAL', details: { aborted: true } });
    } finally {
      media.onCut = null;
    }
    expect(ffmpegChildren().filter((pid) => !before.includes(pid))).toEqual([]);
    expect(await workDirEntries()).toEqual([]);
  }, 60_000);

  it('destroying the stream before the end removes the temp file', async () => {
    const result = await manager.streamReplay({
      userId: USER,
      startAt: bufferStartMs + 2_000,
      endAt: bufferStartMs + 12_000,
    });
    expect(await workDirEntries()).toHaveLength(1);
    await new Promise<void>((resolve) => result.stream.once('readable', () => resolve()));
    result.stream.destroy();
    await eventually(async () => (await workDirEntries()).length === 0, 5_000, 'the temp file to go');
  }, 60_000);

  it('refuses a bad range like a save does, before any work', async () => {
    await expect(
      manager.streamReplay({
        userId: USER,
        durationSeconds: 5,
        startAt: bufferStartMs,
        endAt: bufferStartMs + 1000,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(manager.streamReplay({ userId: 'nobody', durationSeconds: 5 })).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
  });

  it('clipFileRecords: created after a save, deleted after a delete; a failing hook is reported and the save stands', async () => {
    const clip = await manager.captureReplay({
      userId: USER,
      startAt: bufferStartMs + 3_000,
      endAt: bufferStartMs + 5_000,
      mode: 'fast',
    });
    expect(fileRecords.created.map((c) => c.id)).toEqual([clip.id]);
    expect(fileRecords.created[0]).toMatchObject({
      ownerId: USER,
      storageKey: expect.stringContaining(clip.id),
    });

    fileRecords.failNext = true;
    const second = await manager.captureReplay({
      userId: USER,
      startAt: bufferStartMs + 6_000,
      endAt: bufferStartMs + 8_000,
      mode: 'fast',
    });
    expect(await stores.clips.get(second.id)).not.toBeNull();
    expect(errors.at(-1)).toMatchObject({
      error: { message: 'files table is locked' },
      context: {
        operation: expect.stringContaining('clipFileRecords.created'),
        clipId: second.id,
        userId: USER,
      },
    });

    for (const id of [clip.id, second.id]) await manager.deleteClip({ clipId: id, userId: USER });
    expect(fileRecords.deleted.map((c) => c.id)).toEqual([clip.id, second.id]);
  }, 60_000);

  it('throwing event listeners change no outcome: saves succeed, capture slots are given back, each failure is reported', async () => {
    const before = errors.length;
    const offs = (['capture:started', 'capture:progress', 'capture:completed'] as const).map((event) =>
      manager.on(event, () => {
        throw new Error(`${event} listener bug`);
      }),
    );
    try {
      // More saves than capture slots (2): a slot leaked by a throwing listener would make the third CAPTURE_BUSY.
      const saved = [];
      for (let i = 0; i < 3; i++) {
        saved.push(
          await manager.captureReplay({
            userId: USER,
            startAt: bufferStartMs + 3_000 + i * 2_000,
            endAt: bufferStartMs + 4_000 + i * 2_000,
            mode: 'fast',
          }),
        );
      }
      for (const clip of saved) expect(await stores.clips.get(clip.id)).not.toBeNull();
      const reported = errors.slice(before).map((e) => e.context?.operation);
      expect(reported.filter((o) => o === "a 'capture:started' event listener")).toHaveLength(3);
      expect(reported.filter((o) => o === "a 'capture:completed' event listener")).toHaveLength(3);
      for (const clip of saved) await manager.deleteClip({ clipId: clip.id, userId: USER });
    } finally {
      for (const off of offs) off();
    }
  }, 60_000);
});
