/**
 * Three ReplayBufferManagers ("app instances") with no common directory: each has its own
 * segments and clips directories (never used for media), reads segments from one bucket through
 * its own S3SegmentSourceFactory and keeps clips in the bucket through its own S3ClipStorage;
 * sessions, notifier and job lock in Redis; clips and quotas in PostgreSQL (Prisma, each
 * instance its own pool). The real livekit-server-sdk starts egresses on the emulator in cloud
 * mode, which uploads to s3rver.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ReplayBufferManager } from '@livekit-replay/core';
import type { JobTickOutcome } from '@livekit-replay/core/adapter';
import {
  createS3Client,
  egressS3Upload,
  S3ClipStorage,
  type S3Config,
  S3SegmentSourceFactory,
} from '@livekit-replay/storage-s3';
import {
  type EgressEmulator,
  type S3TestServer,
  startEgressEmulator,
  startS3TestServer,
} from '@livekit-replay/testing';
import { uniqueId, waitFor } from '@livekit-replay/testing/contracts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { createPostgresSchema } from './test-support/postgres-stores.js';
import { connectSharedRedis, deletePrefix, REDIS_URL, uniquePrefix } from './test-support/redis-env.js';

const prefix = uniquePrefix('multi-s3');
const SEGMENTS_BUCKET = 'multi-segments';
const CLIPS_BUCKET = 'multi-clips';
const KEY_PREFIX = 'egress';
let admin: Redis;
let database: Awaited<ReturnType<typeof createPostgresSchema>> | undefined;
let server: S3TestServer;
let emulator: EgressEmulator;
const roots: string[] = [];
const adapters: RedisAdapters[] = [];
const managers: ReplayBufferManager[] = [];
/** DeleteObjects requests each instance sent (its own client). */
const deleteCalls = [0, 0, 0];

function s3Config(bucket: string): S3Config {
  return {
    bucket,
    region: server.region,
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    checksums: 'WHEN_REQUIRED',
  };
}

beforeAll(async () => {
  admin = await connectSharedRedis();
  server = await startS3TestServer({ buckets: [SEGMENTS_BUCKET, CLIPS_BUCKET] });
  emulator = await startEgressEmulator({ cloud: true, historySeconds: 24, maxFrameRate: 5, maxHeight: 360 });
  database = await createPostgresSchema('multi_s3');
  const livekit = { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret };
  for (let i = 0; i < 3; i++) {
    const root = await mkdtemp(path.join(os.tmpdir(), `lkr-multi-s3-${i}-`));
    roots.push(root);
    const durable = database.stores();
    const redis = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
    adapters.push(redis);
    const segmentsClient = createS3Client(s3Config(SEGMENTS_BUCKET));
    segmentsClient.middlewareStack.add(
      (next, context) => async (args) => {
        if ((context as { commandName?: string }).commandName === 'DeleteObjectsCommand') deleteCalls[i]!++;
        return next(args);
      },
      { step: 'initialize', name: 'countDeletes' },
    );
    managers.push(
      new ReplayBufferManager({
        config: {
          livekit: { ...livekit, egressUpload: { s3: egressS3Upload(s3Config(SEGMENTS_BUCKET)) } },
          segmentsDir: path.join(root, 'segments'),
          egressSegmentsDir: KEY_PREFIX,
          clipsDir: path.join(root, 'clips'),
          defaultQuality: '720p',
          bufferDurationSeconds: 12,
          segmentGraceSeconds: 0,
        },
        stores: {
          sessions: redis.sessions,
          clips: durable.clips,
          quotas: durable.quotas,
          communities: durable.communities,
        },
        coordination: { notifier: redis.notifier, jobLock: redis.jobLock, rateLimiter: false },
        segments: new S3SegmentSourceFactory({
          client: segmentsClient,
          bucket: SEGMENTS_BUCKET,
          keyPrefix: KEY_PREFIX,
        }),
        storage: new S3ClipStorage({
          client: createS3Client(s3Config(CLIPS_BUCKET)),
          bucket: CLIPS_BUCKET,
          keyPrefix: 'media',
          tempDir: path.join(root, 'clip-temp'),
        }),
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(managers.map((manager) => manager.close()));
  await Promise.allSettled(adapters.map((redis) => redis.close()));
  await database?.drop();
  if (admin) await deletePrefix(admin, prefix);
  admin?.disconnect();
  await emulator?.close();
  await server?.close();
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

describe('three instances on S3, Redis and PostgreSQL, no common directory', () => {
  it('a save requested on any instance works, whichever started the buffer', async () => {
    const owner = uniqueId('user');
    const buffer = await managers[0]!.startReplayBuffer({
      userId: owner,
      roomName: uniqueId('room'),
      videoTrackId: 'TR_video',
    });
    await emulator.waitForSegments(buffer.egressId!, 8, { timeoutMs: 60_000 });
    const clips = [];
    for (const instance of [0, 1, 2]) {
      const clip = await managers[instance]!.captureReplay({
        sessionId: buffer.id,
        userId: owner,
        durationSeconds: 4,
      });
      expect(Math.abs(clip.durationSeconds - 4)).toBeLessThanOrEqual(0.1);
      clips.push(clip);
    }
    // Each clip is readable from another instance, and the quota counts all three.
    for (const [i, clip] of clips.entries()) {
      const reader = managers[(i + 1) % 3]!;
      const file = await reader.openClipFile({ clipId: clip.id, viewerId: owner });
      expect(file.sizeBytes).toBe(clip.sizeBytes);
      file.stream.destroy();
    }
    expect(await managers[2]!.getQuota({ userId: owner })).toMatchObject({
      usedBytes: clips.reduce((sum, c) => sum + c.sizeBytes, 0),
      reservedBytes: 0,
    });
    // Nothing was written to any instance's local segments directory.
    for (const root of roots) {
      expect(await readdir(path.join(root, 'segments')).catch(() => [])).toEqual([]);
    }
    await managers[1]!.stopReplayBuffer({ sessionId: buffer.id, userId: owner });
    await emulator.waitForEnd(buffer.egressId!);
  }, 120_000);

  it('runs the segment retention on one instance per tick, deleting objects in the bucket', async () => {
    const owner = uniqueId('user');
    const buffer = await managers[2]!.startReplayBuffer({
      userId: owner,
      roomName: uniqueId('room'),
      videoTrackId: 'TR_video',
    });
    await emulator.waitForSegments(buffer.egressId!, 12, { timeoutMs: 60_000 });
    const outcomes: Array<{ instance: number; job: string; outcome: JobTickOutcome }> = [];
    const intervalMs = 400;
    await Promise.all(
      managers.map((manager, instance) =>
        manager.startScheduler({
          reconcileIntervalMs: 60_000,
          orphanIntervalMs: 60_000,
          segmentSweepIntervalMs: intervalMs,
          onTick: (job, outcome) => outcomes.push({ instance, job: String(job), outcome }),
        }),
      ),
    );
    const segmentTicks = (outcome: JobTickOutcome) =>
      outcomes.filter((o) => o.job === 'segments' && o.outcome === outcome).length;
    await waitFor(() => segmentTicks('ran') >= 4, 20_000, 'four segment passes');
    await Promise.all(managers.map((manager) => manager.stopScheduler()));
    // Three schedulers tick each round; the lease lets one run, so refusals outnumber runs.
    expect(segmentTicks('locked')).toBeGreaterThanOrEqual(segmentTicks('ran'));
    expect(segmentTicks('failed')).toBe(0);
    expect(deleteCalls.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // The window holds: what is left covers about the configured buffer, not the history.
    const status = await managers[0]!.getBufferStatus({ sessionId: buffer.id, userId: owner });
    const heldSeconds = (Date.parse(status!.bufferEnd!) - Date.parse(status!.bufferStart!)) / 1000;
    expect(heldSeconds).toBeLessThan(20);
    await managers[0]!.stopReplayBuffer({ sessionId: buffer.id, userId: owner });
    await emulator.waitForEnd(buffer.egressId!);
  }, 120_000);
});
