import { createClient as createLibsqlClient } from '@libsql/client';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import pg from 'pg';
import { type DatabaseProvider, parsePostgresUrl, searchPathOption } from './connection.js';
import type { Migration, MigrationPrismaClient } from './migrate.js';

/** The table that records applied migrations (name, checksum, applied_at). */
export const MIGRATIONS_TABLE = '_livekit_replay_migrations';

/**
 * Splits a migration into statements for drivers that run one statement at a time. Our
 * migrations end every statement with `;` at the end of a line and put no `;` inside strings.
 */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

export interface AppliedRow {
  name: string;
  checksum: string;
}

export interface Executor {
  ensureTable(): Promise<void>;
  listApplied(): Promise<AppliedRow[]>;
  /**
   * Applies inside one transaction unless another runner recorded it first (returns its row).
   * Refuses (CONFIG_INVALID, nothing written) when one of `mustNotExist` is already a table.
   */
  apply(migration: Migration, mustNotExist: string[]): Promise<AppliedRow | null>;
  close(): Promise<void>;
}

function tablesInTheWay(found: string[]): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.CONFIG_INVALID,
    `the database already has table(s) ${[...found]
      .sort()
      .map((t) => `"${t}"`)
      .join(', ')} that livekit-replay did not create; ` +
      'nothing was changed. Give our models other table names (migrate({ tables }) / --tables, and the same @@map in your schema)',
    { details: { tables: [...found].sort() } },
  );
}

const existingTablesSql = (provider: DatabaseProvider, count: number) =>
  provider === 'postgresql'
    ? `SELECT table_name AS "name" FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN (${Array.from({ length: count }, (_, i) => `$${i + 1}`).join(', ')})`
    : `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${Array.from({ length: count }, () => '?').join(', ')})`;

const createTableSql = (provider: DatabaseProvider) =>
  provider === 'postgresql'
    ? `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now())`
    : `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`;

// One runner at a time per database schema (the key includes current_schema()).
const PG_LOCK = `SELECT pg_advisory_xact_lock(hashtext('livekit-replay:migrations:' || current_schema()))`;

export async function postgresExecutor(url: string): Promise<Executor> {
  const { connectionString, schema } = parsePostgresUrl(url);
  const searchPath = searchPathOption(schema);
  const client = new pg.Client({ connectionString, ...(searchPath ? { options: searchPath } : {}) });
  await client.connect();
  const inTransaction = async <T>(fn: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query(PG_LOCK);
      const result = await fn();
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  };
  try {
    // Parallel runners would race on CREATE SCHEMA IF NOT EXISTS: serialise it.
    if (schema) {
      await client.query('BEGIN');
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('livekit-replay:schema:' || $1::text))`, [
        schema,
      ]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query('COMMIT');
    }
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return {
    ensureTable: () => inTransaction(() => client.query(createTableSql('postgresql')).then(() => {})),
    listApplied: async () =>
      (await client.query<AppliedRow>(`SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" ORDER BY "name"`))
        .rows,
    apply: (migration, mustNotExist) =>
      inTransaction(async () => {
        const existing = await client.query<AppliedRow>(
          `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" WHERE "name" = $1`,
          [migration.name],
        );
        if (existing.rows[0]) return existing.rows[0];
        if (mustNotExist.length > 0) {
          const found = await client.query<{ name: string }>(
            existingTablesSql('postgresql', mustNotExist.length),
            mustNotExist,
          );
          if (found.rows.length > 0) throw tablesInTheWay(found.rows.map((row) => row.name));
        }
        // No parameters: node-postgres sends a simple query, which may hold many statements.
        await client.query(migration.sql);
        await client.query(`INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum") VALUES ($1, $2)`, [
          migration.name,
          migration.checksum,
        ]);
        return null;
      }),
    close: () => client.end(),
  };
}

export function sqliteExecutor(url: string, authToken: string | undefined): Executor {
  const client = createLibsqlClient({ url, ...(authToken ? { authToken } : {}) });
  return {
    ensureTable: async () => {
      // WAL (kept in the file): readers never block a commit, so app instances sharing the
      // file see SQLITE_BUSY only when two write at once, and the stores retry that.
      await client.execute('PRAGMA journal_mode = WAL').catch(() => {});
      await client.execute(createTableSql('sqlite'));
    },
    listApplied: async () =>
      (await client.execute(`SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" ORDER BY "name"`)).rows.map(
        (row) => ({ name: String(row.name), checksum: String(row.checksum) }),
      ),
    apply: async (migration, mustNotExist) => {
      // 'write' starts with BEGIN IMMEDIATE: a second runner waits instead of interleaving.
      const tx = await client.transaction('write');
      try {
        const existing = await tx.execute({
          sql: `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" WHERE "name" = ?`,
          args: [migration.name],
        });
        const row = existing.rows[0];
        if (row) {
          await tx.rollback();
          return { name: String(row.name), checksum: String(row.checksum) };
        }
        if (mustNotExist.length > 0) {
          const found = await tx.execute({
            sql: existingTablesSql('sqlite', mustNotExist.length),
            args: mustNotExist,
          });
          if (found.rows.length > 0) throw tablesInTheWay(found.rows.map((r) => String(r.name)));
        }
        await tx.executeMultiple(migration.sql);
        await tx.execute({
          sql: `INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum") VALUES (?, ?)`,
          args: [migration.name, migration.checksum],
        });
        await tx.commit();
        return null;
      } finally {
        tx.close();
      }
    },
    close: async () => client.close(),
  };
}

export function prismaExecutor(prisma: MigrationPrismaClient, provider: DatabaseProvider): Executor {
  const param = (n: number) => (provider === 'postgresql' ? `$${n}` : '?');
  const txOptions = { maxWait: 10_000, timeout: 120_000 };
  return {
    ensureTable: () =>
      prisma.$transaction(async (tx) => {
        if (provider === 'postgresql') await tx.$executeRawUnsafe(PG_LOCK);
        await tx.$executeRawUnsafe(createTableSql(provider));
      }, txOptions),
    listApplied: () =>
      prisma.$transaction(
        (tx) =>
          tx.$queryRawUnsafe<AppliedRow[]>(
            `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" ORDER BY "name"`,
          ),
        txOptions,
      ),
    apply: (migration, mustNotExist) =>
      prisma.$transaction(async (tx) => {
        if (provider === 'postgresql') await tx.$executeRawUnsafe(PG_LOCK);
        const existing = await tx.$queryRawUnsafe<AppliedRow[]>(
          `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" WHERE "name" = ${param(1)}`,
          migration.name,
        );
        if (existing[0]) return existing[0];
        if (mustNotExist.length > 0) {
          const found = await tx.$queryRawUnsafe<Array<{ name: string }>>(
            existingTablesSql(provider, mustNotExist.length),
            ...mustNotExist,
          );
          if (found.length > 0) throw tablesInTheWay(found.map((row) => String(row.name)));
        }
        for (const statement of splitStatements(migration.sql)) await tx.$executeRawUnsafe(statement);
        await tx.$executeRawUnsafe(
          `INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum") VALUES (${param(1)}, ${param(2)})`,
          migration.name,
          migration.checksum,
        );
        return null;
      }, txOptions),
    close: async () => {},
  };
}
