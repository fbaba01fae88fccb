/**
 * Builds the replay manager's options from the environment: LiveKit (real, or the in-process
 * emulator), stores (SQLite by default, PostgreSQL by URL; Redis for several instances),
 * directories or a bucket (REPLAY_STORAGE=s3), and the app's hooks (participants → users for autoStart, the chat as ClipSharer).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  createPostgresClient,
  createPrismaStores,
  createSqliteClient,
  migrate,
  type ReplayDatabaseClient,
} from '@livekit-replay/adapter-prisma';
import { createRedisAdapters, type RedisAdapters } from '@livekit-replay/adapter-redis';
import { type ReplayBufferManagerOptions, replayConfigFromEnv } from '@livekit-replay/core';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { DEMO_USERS } from './demo-auth.js';
import type { AppEnvironment } from './environment.js';
import { DEMO_CHANNEL, type MessageFeed } from './messages.js';
import { type AppS3, startAppS3 } from './s3-storage.js';

export interface ReplaySetup {
  managerOptions: ReplayBufferManagerOptions;
  emulator: EgressEmulator | null;
  /** REPLAY_STORAGE=s3: the bucket segments and clips live in. */
  s3: AppS3 | null;
  /** Closes what this setup opened (database, Redis, emulator), after the app closed. */
  close(): Promise<void>;
}

export async function setUpReplay(
  env: AppEnvironment,
  feed: MessageFeed,
  log: (line: string) => void,
): Promise<ReplaySetup> {
  // With S3 nothing is shared with the egress: this directory is the saves' scratch space only.
  const segmentsDir = path.join(env.dataDir, env.storage === 's3' ? 'scratch' : 'segments');
  const clipsDir = path.join(env.dataDir, 'clips');
  await mkdir(segmentsDir, { recursive: true });
  await mkdir(clipsDir, { recursive: true });
  const s3 = env.storage === 's3' ? await startAppS3(env.dataDir) : null;

  let emulator: EgressEmulator | null = null;
  let livekit = env.livekit;
  if (!livekit) {
    emulator = await startEgressEmulator({
      // S3: uploads only, and local outputs refused as LiveKit Cloud refuses them.
      ...(s3 ? { cloud: true } : { segmentsRoot: segmentsDir }),
      // Each emulated share starts with this much history, so every preset can be tried at once.
      historySeconds: Number(process.env.REPLAY_EMULATOR_HISTORY_SECONDS ?? 90),
      maxFrameRate: Number(process.env.REPLAY_EMULATOR_FPS ?? 15),
      maxHeight: Number(process.env.REPLAY_EMULATOR_HEIGHT ?? 720),
      onLog: (line) => log(`[emulator] ${line}`),
    });
    livekit = { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret };
  }

  const provider = env.databaseUrl.startsWith('postgres') ? 'postgresql' : 'sqlite';
  await migrate({ url: env.databaseUrl, provider, log: (line) => log(`[migrate] ${line}`) });
  const database: ReplayDatabaseClient =
    provider === 'postgresql' ? createPostgresClient(env.databaseUrl) : createSqliteClient(env.databaseUrl);
  const stores = createPrismaStores(database);

  let redis: RedisAdapters | null = null;
  if (env.redisUrl) redis = createRedisAdapters({ url: env.redisUrl, keyPrefix: 'lkr-app:' });

  const managerOptions: ReplayBufferManagerOptions = {
    // Every REPLAY_* variable of the core applies (buffer length, quota, …); these are the app's.
    config: replayConfigFromEnv(process.env, {
      segmentsDir,
      clipsDir,
      ...s3?.setup.config, // S3: the egress uploads under the segment prefix
      livekit: { ...livekit, ...s3?.setup.config.livekit },
    }),
    ...(s3 ? { storage: s3.setup.storage, segments: s3.setup.segments } : {}),
    stores: redis ? { ...stores, sessions: redis.sessions } : stores,
    coordination: redis
      ? { notifier: redis.notifier, jobLock: redis.jobLock, rateLimiter: redis.rateLimiter }
      : {},
    hooks: {
      clipSharer: feed,
      // Server-driven start: LiveKit's room webhooks start and stop buffers. LiveKit identities
      // are our user ids; the voice channel belongs to the demo community.
      resolveParticipant: env.serverAutoStart
        ? async ({ roomName, identity }) =>
            roomName === DEMO_CHANNEL.roomName && DEMO_USERS.some((user) => user.id === identity)
              ? { userId: identity, channelId: DEMO_CHANNEL.id, communityId: DEMO_CHANNEL.communityId }
              : null
        : undefined,
    },
  };

  return {
    managerOptions,
    emulator,
    s3,
    async close() {
      await emulator?.close();
      await s3?.close();
      await redis?.close();
      await database.$disconnect();
    },
  };
}
