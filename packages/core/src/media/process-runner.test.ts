import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReplayBufferError } from '../errors.js';
import {
  failureError,
  observeMediaSpawns,
  resolveFfmpegPath,
  runMedia,
  startMedia,
} from './process-runner.js';

const FFMPEG = resolveFfmpegPath();

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  );
}

describe('media process runner (real ffmpeg)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lkr-runner-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('kills a hung ffmpeg (reading a FIFO nobody writes) at its timeout and frees it', async () => {
    const fifo = path.join(dir, 'stuck.ts');
    execFileSync('mkfifo', [fifo]);
    const handle = startMedia({
      binary: FFMPEG,
      args: ['-v', 'error', '-i', fifo, '-f', 'null', '-'],
      timeoutMs: 300,
    });
    const error = await rejection(handle.done);
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ timedOut: true });
    // `done` settles only after the process has exited.
    expect(handle.child.exitCode !== null || handle.child.signalCode !== null).toBe(true);
    expect(isAlive(handle.child.pid)).toBe(false);
  });

  it('an abort kills the process and rejects with MEDIA_ERROR (aborted)', async () => {
    const controller = new AbortController();
    const handle = startMedia({
      binary: FFMPEG,
      args: ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10', '-f', 'null', '-'],
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    const error = await rejection(handle.done);
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ aborted: true });
    expect(isAlive(handle.child.pid)).toBe(false);
  });

  it('reports progress, ending with the muxer’s own frame count', async () => {
    const blocks: { frame: number | null; end: boolean }[] = [];
    const result = await runMedia({
      binary: FFMPEG,
      args: [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=s=160x120:r=10',
        '-frames:v',
        '25',
        '-f',
        'null',
        '-',
      ],
      onProgress: (p) => blocks.push(p),
    });
    expect(result.progress).toMatchObject({ frame: 25, end: true });
    expect(blocks.at(-1)?.end).toBe(true);
  });

  it('a failure is MEDIA_ERROR with ffmpeg’s words and no absolute server path', async () => {
    const missing = path.join(dir, 'secret', 'nope.ts');
    const error = await rejection(
      runMedia({ binary: FFMPEG, args: ['-v', 'error', '-i', missing, '-f', 'null', '-'] }),
    );
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    const text = `${(error as Error).message} ${JSON.stringify((error as { details: unknown }).details)}`;
    expect(text).toContain('nope.ts');
    expect(text).toMatch(/No such file/);
    expect(text).not.toContain(dir);
  });

  it('a full disk is STORAGE_ERROR: real ffmpeg writing to /dev/full, and the stderr path alone', async () => {
    const error = await rejection(
      runMedia({
        binary: FFMPEG,
        args: [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=s=320x240:r=10',
          '-frames:v',
          '20',
          '-f',
          'mpegts',
          '-flush_packets',
          '1',
          '/dev/full',
        ],
      }),
    );
    expect(isReplayBufferError(error, 'STORAGE_ERROR')).toBe(true);
    const unit = failureError(
      'ffmpeg',
      1,
      null,
      '[mp4 @ 0x1] /srv/clips/.work/abc/out.mp4: No space left on device\nError writing trailer',
    );
    expect(unit.code).toBe('STORAGE_ERROR');
    expect(JSON.stringify(unit.details)).not.toContain('/srv/clips');
  });

  it('a failing stdout consumer kills the process; a missing binary is MEDIA_ERROR', async () => {
    const handle = startMedia({
      binary: FFMPEG,
      args: ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=320x240:r=10', '-f', 'mpegts', 'pipe:1'],
      stdout: async (stream) => {
        for await (const _chunk of stream) throw new Error('disk went away');
      },
    });
    const error = await rejection(handle.done);
    expect(isReplayBufferError(error, 'MEDIA_ERROR')).toBe(true);
    expect((error as Error).message).toContain('disk went away');
    expect(isAlive(handle.child.pid)).toBe(false);
    const missing = await rejection(runMedia({ binary: path.join(dir, 'no-ffmpeg'), args: [] }));
    expect(isReplayBufferError(missing, 'MEDIA_ERROR')).toBe(true);
  });

  it('every start is observable (processes per save are counted through it)', async () => {
    const seen: string[] = [];
    const stop = observeMediaSpawns((s) => seen.push(path.basename(s.binary)));
    await runMedia({ binary: FFMPEG, args: ['-v', 'error', '-version'] });
    stop();
    await runMedia({ binary: FFMPEG, args: ['-v', 'error', '-version'] });
    expect(seen).toEqual([path.basename(FFMPEG)]);
  });
});
