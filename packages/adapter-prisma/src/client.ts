import { PrismaLibSql } from '@prisma/adapter-libsql';
import { PrismaPg } from '@prisma/adapter-pg';
import { parsePostgresUrl, searchPathOption } from './connection.js';
import { PrismaClient as PostgresPrismaClient } from './generated/postgresql/client.js';
import { PrismaClient as SqlitePrismaClient } from './generated/sqlite/client.js';

export type { PostgresPrismaClient, SqlitePrismaClient };

export interface PostgresClientOptions {
  /** node-postgres pool size (default 10). */
  max?: number;
  /** How long to wait for a connection before failing, in ms (default 10 000). */
  connectionTimeoutMillis?: number;
}

/**
 * A Prisma client for this package's models on PostgreSQL, through `@prisma/adapter-pg`.
 * `?schema=name` in the URL selects the schema for Prisma's queries and the search_path
 * for the raw SQL the stores run. Integrators with their own generated client pass that
 * to `createPrismaStores` instead.
 */
export function createPostgresClient(url: string, options: PostgresClientOptions = {}): PostgresPrismaClient {
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

/**
 * A Prisma client for this package's models on SQLite through `@prisma/adapter-libsql`
 * (`file:./replay.db`, or a libsql:// URL with `authToken`).
 */
export function createSqliteClient(url: string, options: { authToken?: string } = {}): SqlitePrismaClient {
  const adapter = new PrismaLibSql({ url, ...(options.authToken ? { authToken: options.authToken } : {}) });
  return new SqlitePrismaClient({ adapter });
}
