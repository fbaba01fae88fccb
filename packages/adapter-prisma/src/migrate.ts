import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient as createLibsqlClient } from '@libsql/client';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import pg from 'pg';
import { type DatabaseProvider, parsePostgresUrl, providerFromUrl, searchPathOption } from './connection.js';

/** The table that records applied migrations (name, checksum, applied_at). */
export const MIGRATIONS_TABLE = '_livekit_replay_migrations';

export interface Migration {
  /** File name without `.sql`, e.g. `0001_init`. Applied in name order. */
  name: string;
  sql: string;
  /** SHA-256 (hex) of the file with line endings normalised to LF. */
  checksum: string;
}

/** The smallest part of a PrismaClient the runner uses (`migrate({ prisma })`). */
export interface MigrationPrismaClient {
  $transaction<R>(
    fn: (tx: {
      $executeRawUnsafe(sql: string, ...values: unknown[]): Promise<number>;
      $queryRawUnsafe<T = unknown>(sql: string, ...values: unknown[]): Promise<T>;
    }) => Promise<R>,
    options?: { maxWait?: number; timeout?: number },
  ): Promise<R>;
}

export interface MigrateOptions {
  /** Which migrations folder to apply. Guessed from `url` when omitted. */
  provider?: DatabaseProvider;
  /**
   * Connection URL: `postgresql://…[?schema=name]` (the schema is created if missing) or
   * `file:./replay.db` / `libsql://…`. Defaults to `DATABASE_URL`. Ignored when `prisma` is given.
   */
  url?: string;
  /** libsql auth token for remote `libsql://` databases. */
  authToken?: string;
  /**
   * Run through an existing PrismaClient instead of opening a connection. On PostgreSQL the
   * tables land in the connection's search_path.
   */
  prisma?: MigrationPrismaClient;
  /** Folder with `*.sql` files; defaults to this package's `migrations/<provider>`. */
  migrationsDir?: string;
  log?: (line: string) => void;
}

export interface MigrateResult {
  provider: DatabaseProvider;
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations that were already applied (checksums verified). */
  alreadyApplied: string[];
}

/** Where this package's own migrations live (`migrations/<provider>` beside `dist/` and `src/`). */
export function defaultMigrationsDir(provider: DatabaseProvider): string {
  return path.join(fileURLToPath(new URL('../migrations/', import.meta.url)), provider);
}

export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** Reads `*.sql` from the folder, sorted by name. */
export async function loadMigrations(provider: DatabaseProvider, dir?: string): Promise<Migration[]> {
  const folder = dir ?? defaultMigrationsDir(provider);
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => name.endsWith('.sql')).sort();
  } catch (cause) {
    throw new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, `cannot read migrations folder ${folder}`, {
      cause,
    });
  }
  return Promise.all(
    names.map(async (file) => {
      const sql = await readFile(path.join(folder, file), 'utf8');
      return { name: file.slice(0, -'.sql'.length), sql, checksum: migrationChecksum(sql) };
    }),
  );
}

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

interface AppliedRow {
  name: string;
  checksum: string;
}

interface Executor {
  ensureTable(): Promise<void>;
  listApplied(): Promise<AppliedRow[]>;
  /** Applies inside one transaction unless another runner recorded it first (returns its row). */
  apply(migration: Migration): Promise<AppliedRow | null>;
  close(): Promise<void>;
}

const createTableSql = (provider: DatabaseProvider) =>
  provider === 'postgresql'
    ? `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TIMESTAMPTZ NOT NULL DEFAULT now())`
    : `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "applied_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`;

// One runner at a time per database schema (the key includes current_schema()).
const PG_LOCK = `SELECT pg_advisory_xact_lock(hashtext('livekit-replay:migrations:' || current_schema()))`;

async function postgresExecutor(url: string): Promise<Executor> {
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
    apply: (migration) =>
      inTransaction(async () => {
        const existing = await client.query<AppliedRow>(
          `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" WHERE "name" = $1`,
          [migration.name],
        );
        if (existing.rows[0]) return existing.rows[0];
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

function sqliteExecutor(url: string, authToken: string | undefined): Executor {
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
    apply: async (migration) => {
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

function prismaExecutor(prisma: MigrationPrismaClient, provider: DatabaseProvider): Executor {
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
    apply: (migration) =>
      prisma.$transaction(async (tx) => {
        if (provider === 'postgresql') await tx.$executeRawUnsafe(PG_LOCK);
        const existing = await tx.$queryRawUnsafe<AppliedRow[]>(
          `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}" WHERE "name" = ${param(1)}`,
          migration.name,
        );
        if (existing[0]) return existing[0];
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

function checksumMismatch(name: string): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.CONFIG_INVALID,
    `migration ${name} was applied with a different checksum: its file changed after it ran. ` +
      'Restore the original file; put schema changes in a new migration.',
    { details: { migration: name } },
  );
}

/**
 * Applies this package's SQL migrations that the database has not seen yet, each in its own
 * transaction, recording them in `_livekit_replay_migrations`. Refuses to run when an applied
 * migration's file changed or the database has migrations this package does not know.
 */
export async function migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
  const url = options.url ?? process.env.DATABASE_URL;
  const provider = options.provider ?? (url ? providerFromUrl(url) : undefined);
  if (provider !== 'postgresql' && provider !== 'sqlite') {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      'migrate needs provider "postgresql" or "sqlite" (or a URL that shows which one)',
    );
  }
  if (!options.prisma && !url) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      'migrate needs a database: pass { url }, { prisma } or set DATABASE_URL',
    );
  }
  const migrations = await loadMigrations(provider, options.migrationsDir);
  const log = options.log ?? (() => {});
  let executor: Executor;
  try {
    executor = options.prisma
      ? prismaExecutor(options.prisma, provider)
      : provider === 'postgresql'
        ? await postgresExecutor(url as string)
        : sqliteExecutor(url as string, options.authToken);
  } catch (cause) {
    if (cause instanceof ReplayBufferError) throw cause;
    throw storageError('cannot connect to the database to migrate it', cause);
  }
  try {
    await executor.ensureTable();
    const applied = new Map((await executor.listApplied()).map((row) => [row.name, row.checksum]));
    const known = new Set(migrations.map((migration) => migration.name));
    for (const name of applied.keys()) {
      if (!known.has(name)) {
        throw new ReplayBufferError(
          ReplayErrorCode.CONFIG_INVALID,
          `the database has migration ${name}, which this version of @livekit-replay/adapter-prisma does not ship; upgrade the package`,
          { details: { migration: name } },
        );
      }
    }
    const result: MigrateResult = { provider, applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const before = applied.get(migration.name);
      if (before !== undefined) {
        if (before !== migration.checksum) throw checksumMismatch(migration.name);
        result.alreadyApplied.push(migration.name);
        continue;
      }
      let raced: AppliedRow | null;
      try {
        raced = await executor.apply(migration);
      } catch (cause) {
        throw storageError(`migration ${migration.name} failed and was rolled back`, cause);
      }
      if (raced) {
        if (raced.checksum !== migration.checksum) throw checksumMismatch(migration.name);
        result.alreadyApplied.push(migration.name);
      } else {
        log(`applied ${migration.name}`);
        result.applied.push(migration.name);
      }
    }
    return result;
  } catch (error) {
    if (error instanceof ReplayBufferError) throw error;
    throw storageError('migrating the database failed', error);
  } finally {
    await executor.close().catch(() => {});
  }
}

function storageError(message: string, cause: unknown): ReplayBufferError {
  const text = cause instanceof Error ? cause.message : String(cause);
  return new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `${message}: ${text}`, { cause });
}
