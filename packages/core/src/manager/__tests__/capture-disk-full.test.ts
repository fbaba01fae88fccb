/**
 * A save on a full disk fails with STORAGE_ERROR (503, "free some space") and leaves nothing
 * behind. Two levels: a real ffmpeg writing into a real 64 KiB filesystem (a tmpfs mounted
 * inside this test's temporary directory; it needs root with mount rights and says so when
 * they are missing: there is no fallback that writes anywhere else), and a stub pipeline that
 * fails the way ffmpeg does when only its stderr tells the disk is full.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReplayBufferError, ReplayBufferError, ReplayErrorCode } from '../../errors.js';
import { createMemoryStores } from '../../memory/index.js';
import type { CutRequest, MediaPipeline } from '../../ports/media-pipeline.js';
import { LocalClipStorage } from '../../storage/local-clip-storage.js';
import type { ReplayBufferManagerOptions } from '../options.js';
import { API_KEY, API_SECRET, recordingManager, tempRoot } from './lifecycle-helpers.js';

const FPS = 5;

let root: { root: string; cleanup: () => Promise<void> };
let segmentsDir: string;
let emulator: EgressEmulator;

beforeAll(async () => {
  root = await tempRoot('lkr-disk-full-');
  segmentsDir = path.join(root.root, 'segments');
  emulator = await startEgressEmulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    segmentsRoot: segmentsDir,
    maxFrameRate: FPS,
    maxHeight: 180,
  });
});

afterAll(async () => {
  await emulator?.close();
  await root?.cleanup();
});

let users = 0;

/** A manager on memory stores with a live buffer holding a few seconds of history. */
async function liveBuffer(clipsDir: string, options: Partial<ReplayBufferManagerOptions>) {
  const stores = createMemoryStores();
  const { manager } = await recordingManager({
    config: {
      livekit: { url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir,
      clipsDir,
      segmentDurationSeconds: 1,
      defaultQuality: '720p',
    },
    stores,
    coordination: { rateLimiter: false },
    ...options,
  });
  const room = `room-disk-${++users}`;
  emulator.setHistorySeconds(6, room);
  const userId = `user-disk-${users}`;
  const started = await manager.startReplayBuffer({
    userId,
    roomName: room,
    videoTrackId: 'TR_video',
    audioTrackId: 'TR_audio',
  });
  await emulator.waitForSegments(started.egressId!, 5);
  return { manager, stores, session: { id: started.id, userId } };
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(full)));
    else found.push(full);
  }
  return found;
}

/** Mounts a tiny tmpfs at `dir` (inside this test's temp root) or fails saying what is needed. */
function mountTinyTmpfs(dir: string): void {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || String(error);
    throw new Error(
      'This test needs a small full filesystem: it mounts a 64 KiB tmpfs, which requires root ' +
        `with mount rights (e.g. a privileged container). mount refused: ${why}`,
    );
  }
}

describe('disk full while saving a clip', () => {
  it('real ffmpeg into a 64 KiB tmpfs: STORAGE_ERROR, no partial clip, no record, no quota used', async () => {
    const fullDir = path.join(root.root, 'full-clips');
    await mkdir(fullDir, { recursive: true });
    mountTinyTmpfs(fullDir);
    try {
      const { manager, stores, session } = await liveBuffer(fullDir, {
        storage: new LocalClipStorage(fullDir),
      });
      try {
        const error = await manager
          .captureReplay({ sessionId: session.id, userId: session.userId, durationSeconds: 3, mode: 'fast' })
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(isReplayBufferError(error, 'STORAGE_ERROR'), String(error)).toBe(true);
        expect(await filesUnder(fullDir)).toEqual([]);
        expect((await stores.clips.listByOwner(session.userId)).items).toEqual([]);
        const usage = await stores.quotas.getUsage(session.userId, 1024 ** 3);
        expect([usage.usedBytes, usage.reservedBytes]).toEqual([0, 0]);
      } finally {
        await manager.stopReplayBuffer({ sessionId: session.id, userId: session.userId });
        await manager.close();
      }
    } finally {
      execFileSync('umount', [fullDir]);
    }
  });

  // What ffmpeg prints when the disk fills; the exit message itself does not say why.
  const stderrTail =
    '[mp4 @ 0x55d0c0a1b2c0] Error writing trailer: No space left on device\n' +
    'av_interleaved_write_frame(): No space left on device\nConversion failed!\n';
  const runnerFailure = () => Object.assign(new Error('ffmpeg exited with code 1'), { stderrTail });
  const failures: [string, () => Error][] = [
    ['the runner error itself', runnerFailure],
    [
      'a MEDIA_ERROR wrapping it',
      () => {
        const cause = runnerFailure();
        return new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `Cutting failed: ${cause.message}`, {
          cause,
          details: { stderrTail, exitCode: 1 },
        });
      },
    ],
  ];

  it.each(failures)(
    'a cut failing with "No space left on device" only in ffmpeg stderr (%s) is a STORAGE_ERROR',
    async (_label, failure) => {
      const clipsDir = path.join(root.root, `clips-stub-${users + 1}`);
      const cuts: CutRequest[] = [];
      const media: MediaPipeline = {
        async cut(request) {
          cuts.push(request);
          throw failure();
        },
        async probe() {
          throw new Error('not reached: the cut fails first');
        },
        async poster() {
          throw new Error('not reached: the cut fails first');
        },
      };
      const { manager, stores, session } = await liveBuffer(clipsDir, { media });
      try {
        const error = await manager
          .captureReplay({ sessionId: session.id, userId: session.userId, durationSeconds: 3 })
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(cuts).toHaveLength(1);
        expect(isReplayBufferError(error, 'STORAGE_ERROR'), String(error)).toBe(true);
        expect((error as ReplayBufferError).status).toBe(503);
        expect((await stores.clips.listByOwner(session.userId)).items).toEqual([]);
        const usage = await stores.quotas.getUsage(session.userId, 1024 ** 3);
        expect([usage.usedBytes, usage.reservedBytes]).toEqual([0, 0]);
      } finally {
        await manager.stopReplayBuffer({ sessionId: session.id, userId: session.userId });
        await manager.close();
      }
    },
  );
});
