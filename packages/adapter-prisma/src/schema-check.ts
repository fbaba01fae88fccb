import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { DatabaseProvider } from './connection.js';
import { REPLAY_MODELS, type ResolvedTables } from './tables.js';

/** The migration that holds what Prisma's schema language cannot express. */
export const RACE_SAFETY_MIGRATION = '0002_race_safety';

type Query = (sql: string, ...values: unknown[]) => Promise<Array<Record<string, unknown>>>;

/** `"schema"."table"` (or `"table"`, found through the search_path) for to_regclass. */
function relation(schema: string | undefined, table: string): string {
  return schema ? `"${schema}"."${table}"` : `"${table}"`;
}

async function missingOnPostgres(query: Query, tables: ResolvedTables, schema?: string): Promise<string[]> {
  const missing: string[] = [];
  const sessions = relation(schema, tables.EgressSession);
  const index = `${tables.EgressSession}_one_live_per_user`;
  const [live] = await query(
    `SELECT i.indisunique AS "unique", i.indpred IS NOT NULL AS "partial"
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = to_regclass($1) AND c.relname = $2`,
    sessions,
    index,
  );
  if (!(live?.unique === true && live?.partial === true)) missing.push(`partial unique index "${index}"`);
  const checks: Array<[keyof ResolvedTables, string]> = [
    ['EgressSession', 'status_check'],
    ['ReplayClip', 'visibility_check'],
    ['CommunityReplayConfig', 'maxConcurrent_check'],
    ['UserReplayQuota', 'bytes_check'],
    ['ReplayQuotaReservation', 'status_check'],
  ];
  for (const [model, suffix] of checks) {
    const name = `${tables[model]}_${suffix}`;
    const rows = await query(
      `SELECT 1 AS "found" FROM pg_constraint WHERE contype = 'c' AND conrelid = to_regclass($1) AND conname = $2`,
      relation(schema, tables[model]),
      name,
    );
    if (rows.length === 0) missing.push(`CHECK constraint "${name}"`);
  }
  const [collation] = await query(
    `SELECT co.collname AS "name" FROM pg_attribute a JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attrelid = to_regclass($1) AND a.attname = 'id'`,
    relation(schema, tables.ReplayClip),
  );
  if (collation?.name !== 'C') missing.push(`COLLATE "C" on "${tables.ReplayClip}"."id"`);
  return missing;
}

async function missingOnSqlite(query: Query, tables: ResolvedTables): Promise<string[]> {
  const index = `${tables.EgressSession}_one_live_per_user`;
  const [row] = await query(
    `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?`,
    tables.EgressSession,
    index,
  );
  const sql = String(row?.sql ?? '');
  return /\bUNIQUE\b/i.test(sql) && /\bWHERE\b/i.test(sql) ? [] : [`partial unique index "${index}"`];
}

async function missingTables(
  query: Query,
  provider: DatabaseProvider,
  tables: ResolvedTables,
  schema?: string,
): Promise<string[]> {
  const missing: string[] = [];
  for (const model of REPLAY_MODELS) {
    const rows =
      provider === 'postgresql'
        ? await query(
            'SELECT 1 AS "found" WHERE to_regclass($1) IS NOT NULL',
            relation(schema, tables[model]),
          )
        : await query(
            `SELECT 1 AS "found" FROM sqlite_master WHERE type = 'table' AND name = ?`,
            tables[model],
          );
    if (rows.length === 0) missing.push(tables[model]);
  }
  return missing;
}

/**
 * Start-up check: the tables exist and so do the objects the stores rely on to settle races
 * (0002_race_safety). Throws CONFIG_INVALID naming what is missing and the migration to apply.
 */
export async function assertReplaySchema(
  query: Query,
  provider: DatabaseProvider,
  tables: ResolvedTables,
  schema?: string,
): Promise<void> {
  const absentTables = await missingTables(query, provider, tables, schema);
  if (absentTables.length > 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `the livekit-replay table(s) ${absentTables.map((t) => `"${t}"`).join(', ')} do not exist` +
        `${schema ? ` in schema "${schema}"` : ' (in the search_path)'}; apply the migrations 0001_init and ${RACE_SAFETY_MIGRATION} ` +
        '(npx livekit-replay-prisma migrate, or your prisma migrate with the fragment plus `livekit-replay-prisma sql --only 0002_race_safety`)',
      { details: { missing: absentTables, migration: '0001_init' } },
    );
  }
  const missing =
    provider === 'postgresql'
      ? await missingOnPostgres(query, tables, schema)
      : await missingOnSqlite(query, tables);
  if (missing.length > 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `the database lacks ${missing.join(', ')}, which the livekit-replay stores rely on to settle races; ` +
        `apply migration ${RACE_SAFETY_MIGRATION}: \`npx livekit-replay-prisma migrate\` (our runner), or, if prisma migrate ` +
        `manages your schema, add the output of \`npx livekit-replay-prisma sql --only ${RACE_SAFETY_MIGRATION}\` as a migration ` +
        '(prisma migrate dev --create-only) and make sure no later migration drops it',
      { details: { missing, migration: RACE_SAFETY_MIGRATION } },
    );
  }
}
