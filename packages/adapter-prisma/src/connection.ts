import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';

export type DatabaseProvider = 'postgresql' | 'sqlite';

export interface PostgresConnection {
  /** The URL without Prisma's `schema` parameter (node-postgres does not know it). */
  connectionString: string;
  /** The schema named by `?schema=`, if any. */
  schema: string | undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Splits a Prisma-style PostgreSQL URL (`postgresql://…?schema=name`) for node-postgres. */
export function parsePostgresUrl(url: string): PostgresConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      'the PostgreSQL URL is not a valid URL; expected postgresql://user@host:5432/db?schema=name',
      { cause },
    );
  }
  if (parsed.protocol !== 'postgresql:' && parsed.protocol !== 'postgres:') {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `expected a postgresql:// URL, got "${parsed.protocol}//…"`,
    );
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `schema "${schema}" must be a plain identifier (letters, digits, "_", at most 63 characters)`,
    );
  }
  parsed.searchParams.delete('schema');
  return { connectionString: parsed.toString(), schema };
}

/** `search_path` option for node-postgres so raw SQL sees the same schema as Prisma's queries. */
export function searchPathOption(schema: string | undefined): string | undefined {
  return schema === undefined ? undefined : `-c search_path="${schema}"`;
}

/** Guesses the provider from a URL: `postgres(ql)://` or `file:` / `libsql:` / `:memory:`. */
export function providerFromUrl(url: string): DatabaseProvider | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) return 'postgresql';
  if (/^(file:|libsql:|:memory:)/i.test(url)) return 'sqlite';
  return undefined;
}
