import { randomBytes } from 'node:crypto';
import {
  createPostgresClient,
  createPrismaStores,
  migrate,
  type PrismaStores,
  type ReplayDatabaseClient,
} from '@livekit-replay/adapter-prisma';

/** The shared development/CI PostgreSQL (the same default as adapter-prisma's tests). */
export const POSTGRES_URL = process.env.LKR_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/**
 * A throw-away PostgreSQL schema, migrated, for one test file. Each `stores()` call opens its
 * own client (its own pool), as a separate app instance would; `drop()` closes them all and
 * drops the schema. Fails loudly when PostgreSQL is not there: nothing falls back to memory.
 */
export async function createPostgresSchema(name: string): Promise<{
  url: string;
  stores(): PrismaStores;
  drop(): Promise<void>;
}> {
  const schema = `lkr_${name}_${randomBytes(5).toString('hex')}`;
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', schema);
  try {
    await migrate({ url: url.toString(), provider: 'postgresql' });
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${POSTGRES_URL} could not be prepared (${(error as Error).message}). This test ` +
        'needs the real server (set LKR_TEST_POSTGRES_URL to point elsewhere); it does not skip.',
      { cause: error },
    );
  }
  const clients: ReplayDatabaseClient[] = [];
  return {
    url: url.toString(),
    stores() {
      const client = createPostgresClient(url.toString(), { max: 4 });
      clients.push(client);
      return createPrismaStores(client);
    },
    async drop() {
      const admin = createPostgresClient(POSTGRES_URL, { max: 1 }) as ReplayDatabaseClient & {
        $executeRawUnsafe(sql: string): Promise<number>;
      };
      try {
        await Promise.allSettled(clients.map((client) => client.$disconnect()));
        await admin.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.$disconnect();
      }
    },
  };
}
