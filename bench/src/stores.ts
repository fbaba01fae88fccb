import { createMemoryStores, type SessionStore } from '@livekit-replay/core';
import { errorMessage, log } from './util.js';

export type StoreKind = 'memory' | 'postgresql' | 'redis';

export interface OpenedStore {
  kind: StoreKind;
  /** What it runs on, for the report. */
  description: string;
  sessions: SessionStore;
  close(): Promise<void>;
}

export const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
// The bench's own schema and key prefix: nothing else in those servers is touched.
const PG_SCHEMA = 'lkr_bench';
const REDIS_PREFIX = `lkr-bench-${process.pid}:`;

async function openPostgres(): Promise<OpenedStore> {
  const prisma = await import('@livekit-replay/adapter-prisma');
  const url = `${POSTGRES_URL}?schema=${PG_SCHEMA}`;
  const admin = prisma.createPostgresClient(POSTGRES_URL, { max: 1 }) as unknown as {
    $executeRawUnsafe(sql: string): Promise<number>;
    $disconnect(): Promise<void>;
  };
  try {
    await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`);
  } finally {
    await admin.$disconnect();
  }
  await prisma.migrate({ url });
  const client = prisma.createPostgresClient(url, { max: 10 });
  await client.$connect();
  const stores = prisma.createPrismaStores(client);
  return {
    kind: 'postgresql',
    description: `adapter-prisma on PostgreSQL (${POSTGRES_URL.replace(/\/\/[^@]*@/, '//')}, schema ${PG_SCHEMA}, pool 10)`,
    sessions: stores.sessions,
    async close() {
      await client.$disconnect();
      const cleanup = prisma.createPostgresClient(POSTGRES_URL, { max: 1 }) as unknown as typeof admin;
      try {
        await cleanup.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${PG_SCHEMA}" CASCADE`);
      } finally {
        await cleanup.$disconnect();
      }
    },
  };
}

async function openRedis(): Promise<OpenedStore> {
  const { createRedisAdapters } = await import('@livekit-replay/adapter-redis');
  const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: REDIS_PREFIX });
  try {
    // Waits for the connection (the adapter fails fast instead of queueing before it is ready).
    await adapters.sessions.get('bench-probe');
  } catch (error) {
    await adapters.close().catch(() => {});
    throw error;
  }
  return {
    kind: 'redis',
    description: `adapter-redis on Redis (${REDIS_URL}, key prefix ${REDIS_PREFIX})`,
    sessions: adapters.sessions,
    async close() {
      const client = adapters.client;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await client.del(...keys);
      } while (cursor !== '0');
      await adapters.close();
    },
  };
}

/** Opens one backend; returns the reason instead when it cannot be opened. */
export async function openStore(kind: StoreKind): Promise<OpenedStore | { kind: StoreKind; error: string }> {
  try {
    if (kind === 'memory') {
      return {
        kind,
        description: 'in-memory (core)',
        sessions: createMemoryStores().sessions,
        close: async () => {},
      };
    }
    return kind === 'postgresql' ? await openPostgres() : await openRedis();
  } catch (error) {
    const message = errorMessage(error);
    log(`  ${kind} store unavailable: ${message}`);
    return { kind, error: message };
  }
}
