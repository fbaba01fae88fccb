import { PrismaLibSql } from '@prisma/adapter-libsql';
import { PrismaPg } from '@prisma/adapter-pg';
import { parsePostgresUrl, searchPathOption } from './connection.js';
import { PrismaClient as PostgresPrismaClient } from './generated/postgresql/client.js';
import { PrismaClient as SqlitePrismaClient } from './generated/sqlite/client.js';
import type { ReplayPrismaClient } from './stores.js';

/** A client made by `createPostgresClient` / `createSqliteClient`: hand it to `createPrismaStores`. */
export interface ReplayDatabaseClient extends ReplayPrismaClient {
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

export interface PostgresClientOptions {
  /** node-postgres pool size (default 10). */
  max?: number;
  /** How long to wait for a connection before failing, in ms (default 10 000). */
  connectionTimeoutMillis?: number;
}

/** This package's generated client on PostgreSQL (typed; for this package's tests and helpers). */
export function openPostgresClient(url: string, options: PostgresClientOptions = {}): PostgresPrismaClient {
  const { connectionString, schema } = parsePostgresUrl(url);
  const searchPath = searchPathOption(schema);
  const adapter = new PrismaPg(
    {
      connectionString,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
      ...(searchPath ? { options: searchPath } : {}),
    },
    schema ? { schema } : undefined,
  );
  return new PostgresPrismaClient({ adapter });
}

/** This package's generated client on SQLite (typed; for this package's tests and helpers). */
export function openSqliteClient(url: string, options: { authToken?: string } = {}): SqlitePrismaClient {
  const adapter = new PrismaLibSql({ url, ...(options.authToken ? { authToken: options.authToken } : {}) });
  return new SqlitePrismaClient({ adapter });
}

/**
 * A Prisma client for the livekit-replay models on PostgreSQL, through `@prisma/adapter-pg`.
 * `?schema=name` in the URL selects the schema for Prisma's queries and the search_path for
 * raw SQL. Apps that have their own generated client (with the schema fragment) pass that to
 * `createPrismaStores` instead.
 */
export function createPostgresClient(url: string, options: PostgresClientOptions = {}): ReplayDatabaseClient {
  return openPostgresClient(url, options);
}

/**
 * A Prisma client for the livekit-replay models on SQLite through `@prisma/adapter-libsql`
 * (`file:./replay.db`, or a `libsql://` URL with `authToken`).
 */
export function createSqliteClient(url: string, options: { authToken?: string } = {}): ReplayDatabaseClient {
  return openSqliteClient(url, options);
}
