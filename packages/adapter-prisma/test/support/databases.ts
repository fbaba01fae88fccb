import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient as createLibsqlClient, type Client as LibsqlClient } from '@libsql/client';
import type {
  ClipStoreRawReader,
  CommunityConfigStoreRawReader,
  QuotaLedgerRawReader,
  SessionStoreRawReader,
} from '@livekit-replay/testing/contracts';
import pg from 'pg';
import { openPostgresClient, openSqliteClient } from '../../src/client.js';
import type { DatabaseProvider } from '../../src/connection.js';
import { migrate } from '../../src/migrate.js';
import { type ResolvedTables, resolveTables } from '../../src/tables.js';

/** The shared development/CI PostgreSQL; each test file works in its own throw-away schema. */
export const POSTGRES_URL = process.env.LKR_TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export type RawReader = SessionStoreRawReader &
  ClipStoreRawReader &
  QuotaLedgerRawReader &
  CommunityConfigStoreRawReader & {
    /** Rows of a raw SQL query ($1, $2 … placeholders on both databases). */
    query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  };

export interface TestDatabase {
  provider: DatabaseProvider;
  /** URL for migrate / the clients (PostgreSQL: with ?schema=). */
  url: string;
  /** PostgreSQL only: the schema name. */
  schema?: string;
  /** Typed client from this package's generated code. */
  prisma: ReturnType<typeof openPostgresClient>;
  /** Reads rows with plain SQL, bypassing Prisma and the stores. */
  raw: RawReader;
  /** A second, independent client (another "app instance"). */
  openClient(): ReturnType<typeof openPostgresClient>;
  /** Disconnects everything and drops the schema / deletes the file. */
  drop(): Promise<void>;
}

export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** Connects once, failing loudly (CI included) when PostgreSQL is not there. */
export async function assertPostgresReachable(url = POSTGRES_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `PostgreSQL is unreachable at ${url} (${(error as Error).message}). The adapter-prisma tests need ` +
        'the real server (set LKR_TEST_POSTGRES_URL to point elsewhere); they do not skip, in CI or locally.',
      { cause: error },
    );
  } finally {
    await client.end().catch(() => {});
  }
}

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const date = (value: unknown) =>
  value === null || value === undefined ? null : value instanceof Date ? value : new Date(String(value));

/** Raw readers over the given table names (default: the model names). */
export function readers(query: RawReader['query'], names: Partial<ResolvedTables> = {}): RawReader {
  const t = { ...resolveTables(), ...names };
  return {
    query,
    async getSession(id) {
      const [row] = await query(
        `SELECT "id", "userId", "status", "egressId", "communityId", "startedAt", "endedAt", "endReason", "error", "missedSightings" FROM "${t.EgressSession}" WHERE "id" = $1`,
        [id],
      );
      if (!row) return null;
      return {
        id: String(row.id),
        userId: String(row.userId),
        status: String(row.status),
        egressId: (row.egressId as string | null) ?? null,
        communityId: (row.communityId as string | null) ?? null,
        startedAt: date(row.startedAt),
        endedAt: date(row.endedAt),
        endReason: (row.endReason as string | null) ?? null,
        error: (row.error as string | null) ?? null,
        missedSightings: Number(row.missedSightings),
      };
    },
    async getClip(id) {
      const [row] = await query(
        `SELECT "id", "ownerId", "visibility", "sizeBytes", "sha256", "storageKey" FROM "${t.ReplayClip}" WHERE "id" = $1`,
        [id],
      );
      if (!row) return null;
      return {
        id: String(row.id),
        ownerId: String(row.ownerId),
        visibility: String(row.visibility),
        sizeBytes: Number(row.sizeBytes),
        sha256: String(row.sha256),
        storageKey: String(row.storageKey),
      };
    },
    async getQuota(userId) {
      const [row] = await query(
        `SELECT q."userId", q."usedBytes", q."limitBytes",
           (SELECT COALESCE(SUM(r."bytes"), 0) FROM "${t.ReplayQuotaReservation}" r
             WHERE r."userId" = q."userId" AND r."status" = 'pending') AS "pendingBytes"
         FROM "${t.UserReplayQuota}" q WHERE q."userId" = $1`,
        [userId],
      );
      if (!row) return null;
      return {
        userId: String(row.userId),
        usedBytes: Number(row.usedBytes),
        reservedBytes: Number(row.pendingBytes),
        limitBytes: num(row.limitBytes),
      };
    },
    async getCommunityConfig(communityId) {
      const [row] = await query(
        `SELECT "communityId", "enabled", "maxConcurrent" FROM "${t.CommunityReplayConfig}" WHERE "communityId" = $1`,
        [communityId],
      );
      if (!row) return null;
      return {
        communityId: String(row.communityId),
        enabled: row.enabled === true || row.enabled === 1 || row.enabled === 1n,
        maxConcurrent: Number(row.maxConcurrent),
      };
    },
  };
}

// Prisma stores DateTime in `timestamp(3)` (no zone) as UTC; read it back as UTC.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 1114
      ? (text: string) => new Date(`${text.replace(' ', 'T')}Z`)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export async function createPostgresDatabase(): Promise<TestDatabase> {
  await assertPostgresReachable();
  const schema = `lkr_test_${randomBytes(6).toString('hex')}`;
  const url = withSchema(POSTGRES_URL, schema);
  await migrate({ url, provider: 'postgresql' });
  const pool = new pg.Pool({
    connectionString: POSTGRES_URL,
    options: `-c search_path="${schema}"`,
    max: 2,
    types,
  });
  const clients: ReturnType<typeof openPostgresClient>[] = [];
  const openClient = () => {
    const client = openPostgresClient(url);
    clients.push(client);
    return client;
  };
  return {
    provider: 'postgresql',
    url,
    schema,
    prisma: openClient(),
    openClient,
    raw: readers(async (sql, params = []) => (await pool.query(sql, params)).rows),
    async drop() {
      await Promise.all(clients.map((client) => client.$disconnect().catch(() => {})));
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

export async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lkr-prisma-'));
  try {
    const url = `file:${path.join(dir, 'replay.db')}`;
    await migrate({ url, provider: 'sqlite' });
    const rawClient: LibsqlClient = createLibsqlClient({ url });
    const clients: ReturnType<typeof openSqliteClient>[] = [];
    const openClient = () => {
      const client = openSqliteClient(url);
      clients.push(client);
      return client as unknown as ReturnType<typeof openPostgresClient>;
    };
    return {
      provider: 'sqlite',
      url,
      prisma: openClient(),
      openClient,
      raw: readers(async (sql, params = []) => {
        const result = await rawClient.execute({
          sql: sql.replace(/\$(\d+)/g, '?$1'),
          args: params as (string | number | null)[],
        });
        return result.rows.map((row) => ({ ...row }) as Record<string, unknown>);
      }),
      async drop() {
        await Promise.all(clients.map((client) => client.$disconnect().catch(() => {})));
        rawClient.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export const DATABASES: Array<{ name: DatabaseProvider; create: () => Promise<TestDatabase> }> = [
  { name: 'postgresql', create: createPostgresDatabase },
  { name: 'sqlite', create: createSqliteDatabase },
];
