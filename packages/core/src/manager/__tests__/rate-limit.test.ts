import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayBufferError } from '../../errors.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import { ReplayBufferManager } from '../replay-buffer-manager.js';

describe('save rate limits', () => {
  let root: string;
  let emulator: EgressEmulator;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lkr-rate-'));
    emulator = await startEgressEmulator({
      segmentsRoot: path.join(root, 'segments'),
      historySeconds: 10,
      maxFrameRate: 5,
    });
  });
  afterAll(async () => {
    await emulator?.close();
    await rm(root, { recursive: true, force: true });
  });

  function manager(extra: Partial<ConstructorParameters<typeof ReplayBufferManager>[0]> = {}) {
    return new ReplayBufferManager({
      config: {
        livekit: { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret },
        segmentsDir: path.join(root, 'segments'),
        clipsDir: path.join(root, 'clips'),
        defaultQuality: '720p',
      },
      ...extra,
    });
  }

  it('allows 3 saves a minute by default, then RATE_LIMITED with the wait, before any work', async () => {
    const replay = manager();
    const session = await replay.startReplayBuffer({
      userId: 'rl-user',
      roomName: 'rl-room',
      videoTrackId: 'TR_v',
    });
    await emulator.waitForSegments(session.egressId!, 4);
    const save = () =>
      replay.captureReplay({
        sessionId: session.id,
        userId: 'rl-user',
        startAt: Date.now() - 6000,
        endAt: Date.now() - 5000,
      });
    for (let i = 0; i < 3; i++) await save();
    const clipsBefore = await readdir(path.join(root, 'clips', 'clips'));
    const refused = await save().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReplayBufferError);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect((refused as ReplayBufferError).details?.retryAfterMs).toBeGreaterThan(0);
    expect(await readdir(path.join(root, 'clips', 'clips'))).toEqual(clipsBefore);
    expect((await replay.getQuota({ userId: 'rl-user' })).reservedBytes).toBe(0);
    await replay.stopReplayBuffer({ sessionId: session.id, userId: 'rl-user' });
  }, 60_000);

  it('uses a shared limiter when one is given (e.g. Redis across instances)', async () => {
    const seen: string[] = [];
    const shared: RateLimiter = {
      async hit(key) {
        seen.push(key);
        throw new ReplayBufferError('RATE_LIMITED', 'shared limit reached', {
          details: { retryAfterMs: 1000 },
        });
      },
    };
    const replay = manager({ coordination: { rateLimiter: shared } });
    const session = await replay.startReplayBuffer({
      userId: 'rl-shared',
      roomName: 'rl-room-2',
      videoTrackId: 'TR_v',
    });
    await emulator.waitForSegments(session.egressId!, 2);
    await expect(
      replay.captureReplay({ sessionId: session.id, userId: 'rl-shared', durationSeconds: 1 }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    expect(seen).toEqual(['rl-shared']);
    await replay.stopReplayBuffer({ sessionId: session.id, userId: 'rl-shared' });
  }, 60_000);
});
