import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { type DatabaseProvider, providerFromUrl } from './connection.js';
import {
  type AppliedRow,
  type Executor,
  postgresExecutor,
  prismaExecutor,
  sqliteExecutor,
} from './migration-executors.js';
import {
  type AppForeignKeys,
  addForeignKeys,
  type ReplayTableNames,
  renameIdentifiers,
  resolveTables,
} from './tables.js';

export { MIGRATIONS_TABLE, splitStatements } from './migration-executors.js';

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
  /**
   * Table names for the fragment's models (what `@@map` says in your schema), e.g.
   * `{ EgressSession: 'replay_sessions' }`. Decided once: the recorded checksums cover them.
   */
  tables?: ReplayTableNames;
  /** Foreign keys to your `User`, `Community`, `Channel` tables, created with the tables. */
  foreignKeys?: AppForeignKeys;
}

/** What shapes the SQL of our migrations: the table names and the foreign keys. */
export interface RenderOptions {
  tables?: ReplayTableNames;
  foreignKeys?: AppForeignKeys;
}

/** The migration that creates the tables: refused when one of its tables already exists. */
const INIT = '0001_init';

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
 * Our migrations as they run on this database: table names replaced, foreign keys added to
 * `0001_init`, checksums taken of the result (so changing the names or keys later is refused).
 */
export function renderMigrations(
  migrations: Migration[],
  provider: DatabaseProvider,
  options: RenderOptions = {},
): Migration[] {
  const tables = resolveTables(options.tables);
  return migrations.map((migration) => {
    let sql = renameIdentifiers(migration.sql, tables);
    if (migration.name === INIT) sql = addForeignKeys(sql, provider, tables, options.foreignKeys);
    return { ...migration, sql, checksum: migrationChecksum(sql) };
  });
}

function checksumMismatch(name: string): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.CONFIG_INVALID,
    `migration ${name} was applied with a different checksum: its file, or the table names or foreign keys ` +
      'it was rendered with, changed after it ran. Restore them; put schema changes in a new migration.',
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
  const migrations = renderMigrations(
    await loadMigrations(provider, options.migrationsDir),
    provider,
    options,
  );
  const ourTables = Object.values(resolveTables(options.tables));
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
        raced = await executor.apply(migration, migration.name === INIT ? ourTables : []);
      } catch (cause) {
        if (cause instanceof ReplayBufferError) throw cause;
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
