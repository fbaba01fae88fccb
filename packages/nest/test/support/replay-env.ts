import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createPostgresClient,
  createPrismaStores,
  createSqliteClient,
  migrate,
} from '@livekit-replay/adapter-prisma';
import type { ReplayBufferManagerOptions } from '@livekit-replay/core';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { ReplayBufferModule, type ReplayBufferModuleOptions } from '../../src/index.js';
import type { ReplayBufferHttpOptions } from '../../src/options.js';
import { startApp, type TestApp } from './app.js';

export type StoreKind = 'memory' | 'sqlite' | 'postgresql';
export const STORE_KINDS: StoreKind[] = ['memory', 'sqlite', 'postgresql'];

const POSTGRES_URL = process.env.LKR_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Emulated egress frame rate: low, to spare the shared CPUs. */
export const TEST_FPS = 10;

interface Stores {
  stores: ReplayBufferManagerOptions['stores'];
  close(): Promise<void>;
}

/** Fresh stores of the given kind: PostgreSQL in a throw-away schema, SQLite in a temp file. */
export async function createStores(kind: StoreKind, root: string): Promise<Stores> {
  if (kind === 'memory') return { stores: undefined, close: async () => {} };
  if (kind === 'sqlite') {
    const url = `file:${path.join(root, 'replay.db')}`;
    await migrate({ url, provider: 'sqlite' });
    const client = createSqliteClient(url);
    return { stores: createPrismaStores(client), close: () => client.$disconnect() };
  }
  const schema = `lkr_nest_${randomBytes(6).toString('hex')}`;
  const parsed = new URL(POSTGRES_URL);
  parsed.searchParams.set('schema', schema);
  const url = parsed.toString();
  await migrate({ url, provider: 'postgresql' });
  const client = createPostgresClient(url);
  return {
    stores: createPrismaStores(client),
    async close() {
      const raw = client as unknown as { $executeRawUnsafe(sql: string): Promise<unknown> };
      await raw.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
      await client.$disconnect();
    },
  };
}

export interface ReplayEnv {
  emulator: EgressEmulator;
  app: TestApp;
  root: string;
  segmentsDir: string;
  clipsDir: string;
  close(): Promise<void>;
}

export interface ReplayEnvOptions {
  stores?: StoreKind;
  /** Seconds of pre-filled history every egress starts with (default 80). */
  historySeconds?: number;
  manager?: Partial<Omit<ReplayBufferManagerOptions, 'config'>> & {
    config?: Partial<Extract<ReplayBufferManagerOptions['config'], object>>;
  };
  module?: Partial<Omit<ReplayBufferModuleOptions, 'manager'>>;
  http?: ReplayBufferHttpOptions;
  /** Reuse an emulator (two app instances on one LiveKit). */
  emulator?: EgressEmulator;
}

/**
 * The whole stack: the egress emulator (real livekit-server-sdk over HTTP, real ffmpeg), the
 * chosen stores, and a real Nest app on 127.0.0.1 whose webhook URL the emulator posts to.
 */
export async function startReplayEnv(options: ReplayEnvOptions = {}): Promise<ReplayEnv> {
  const root = await mkdtemp(path.join(tmpdir(), 'lkr-nest-e2e-'));
  const segmentsDir = options.emulator?.root ?? path.join(root, 'segments');
  const clipsDir = path.join(root, 'clips');
  const closers: Array<() => Promise<void>> = [() => rm(root, { recursive: true, force: true })];
  const close = async () => {
    while (closers.length > 0) await closers.pop()!().catch(() => {});
  };
  try {
    const emulator =
      options.emulator ??
      (await startEgressEmulator({
        segmentsRoot: segmentsDir,
        historySeconds: options.historySeconds ?? 80,
        maxFrameRate: TEST_FPS,
        maxHeight: 360,
      }));
    if (!options.emulator) closers.push(() => emulator.close());
    const stores = await createStores(options.stores ?? 'memory', root);
    closers.push(() => stores.close());
    const { config, ...managerRest } = options.manager ?? {};
    const app = await startApp([
      ReplayBufferModule.forRoot({
        manager: {
          config: {
            livekit: { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret },
            segmentsDir,
            clipsDir,
            defaultQuality: '720p',
            ...config,
          },
          ...(stores.stores ? { stores: stores.stores } : {}),
          ...managerRest,
        },
        startScheduler: false,
        ...options.module,
        ...options.http,
      }),
    ]);
    closers.push(() => app.close());
    if (!options.emulator) emulator.setWebhookUrl(`${app.url}/livekit/webhook`);
    return { emulator, app, root, segmentsDir, clipsDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A user id no other test (or earlier run against the same database) uses. */
export function uniqueUser(name: string): string {
  return `${name}-${randomBytes(4).toString('hex')}`;
}
