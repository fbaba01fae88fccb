import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { DatabaseProvider } from './connection.js';

/** The models of the schema fragment, which are also the default table names. */
export const REPLAY_MODELS = [
  'EgressSession',
  'ReplayClip',
  'CommunityReplayConfig',
  'UserReplayQuota',
  'ReplayQuotaReservation',
] as const;

export type ReplayModel = (typeof REPLAY_MODELS)[number];

/**
 * Table names for the fragment's models, keyed by model name: what `@@map("…")` says in your
 * schema. Models left out keep their name (`EgressSession`, …).
 */
export type ReplayTableNames = Partial<Record<ReplayModel, string>>;

export type ResolvedTables = Record<ReplayModel, string>;

/** A foreign key target in the app's schema: a table name, or a table and its key column. */
export type AppTable = string | { table: string; column?: string };

/**
 * Optional foreign keys from our tables to the app's `User`, `Community` and `Channel`
 * tables (the seed's names). Deleting a user deletes their sessions, clips and quota
 * (cascade, as the seed does); deleting a community or channel keeps the clips and clears
 * the link (the community's replay settings are deleted).
 */
export interface AppForeignKeys {
  users?: AppTable;
  communities?: AppTable;
  channels?: AppTable;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** PostgreSQL truncates longer identifiers silently; refuse them instead. */
const MAX_IDENTIFIER = 63;

function configError(message: string, details: Record<string, unknown>): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, message, { details });
}

/** Refuses anything but a plain identifier: names end up inside SQL, quoted but never escaped. */
export function assertIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > MAX_IDENTIFIER) {
    throw configError(
      `${what} must be a plain identifier (letters, digits, "_", not starting with a digit, at most ${MAX_IDENTIFIER} characters); got ${JSON.stringify(name)}`,
      { field: what },
    );
  }
  return name;
}

/** Checks the configured names and fills in the defaults. */
export function resolveTables(names: ReplayTableNames = {}): ResolvedTables {
  if (names === null || typeof names !== 'object') throw configError('tables must be an object', {});
  for (const key of Object.keys(names)) {
    if (!(REPLAY_MODELS as readonly string[]).includes(key)) {
      throw configError(`tables: unknown model "${key}"; the models are ${REPLAY_MODELS.join(', ')}`, {
        field: `tables.${key}`,
      });
    }
  }
  const tables = {} as ResolvedTables;
  for (const model of REPLAY_MODELS) {
    tables[model] = assertIdentifier(names[model] ?? model, `tables.${model}`);
  }
  const values = Object.values(tables);
  const lower = values.map((value) => value.toLowerCase());
  if (new Set(lower).size !== values.length || lower.includes('_livekit_replay_migrations')) {
    throw configError(`tables: every model needs its own table name; got ${values.join(', ')}`, {
      field: 'tables',
    });
  }
  return tables;
}

// Longest first, so a model name that prefixes another never takes its identifiers.
const BY_LENGTH = [...REPLAY_MODELS].sort((a, b) => b.length - a.length);

/**
 * Rewrites a migration written with the default names for the configured ones: every quoted
 * identifier that is a model name, or starts with one and "_" (indexes and constraints, named
 * as Prisma names them), takes the table's name instead.
 */
export function renameIdentifiers(sql: string, tables: ResolvedTables): string {
  return sql.replace(/"([A-Za-z_][A-Za-z0-9_]*)"/g, (quoted, name: string) => {
    const model = BY_LENGTH.find((m) => name === m || name.startsWith(`${m}_`));
    if (!model) return quoted;
    const renamed = `${tables[model]}${name.slice(model.length)}`;
    if (renamed.length > MAX_IDENTIFIER) {
      throw configError(
        `table name "${tables[model]}" is too long: it makes the identifier "${renamed}" longer than ${MAX_IDENTIFIER} characters`,
        { field: `tables.${model}` },
      );
    }
    return `"${renamed}"`;
  });
}

interface ForeignKey {
  model: ReplayModel;
  column: string;
  target: keyof AppForeignKeys;
  onDelete: 'CASCADE' | 'SET NULL';
}

/** Which of our columns point at which of the app's tables. */
export const APP_FOREIGN_KEYS: readonly ForeignKey[] = [
  { model: 'EgressSession', column: 'userId', target: 'users', onDelete: 'CASCADE' },
  { model: 'EgressSession', column: 'communityId', target: 'communities', onDelete: 'SET NULL' },
  { model: 'EgressSession', column: 'channelId', target: 'channels', onDelete: 'SET NULL' },
  { model: 'ReplayClip', column: 'ownerId', target: 'users', onDelete: 'CASCADE' },
  { model: 'ReplayClip', column: 'communityId', target: 'communities', onDelete: 'SET NULL' },
  { model: 'ReplayClip', column: 'channelId', target: 'channels', onDelete: 'SET NULL' },
  { model: 'UserReplayQuota', column: 'userId', target: 'users', onDelete: 'CASCADE' },
  { model: 'CommunityReplayConfig', column: 'communityId', target: 'communities', onDelete: 'CASCADE' },
];

function resolveAppTable(value: AppTable, what: string): { table: string; column: string } {
  if (typeof value === 'string') return { table: assertIdentifier(value, what), column: 'id' };
  if (value === null || typeof value !== 'object') throw configError(`${what} must be a table name`, {});
  return {
    table: assertIdentifier(value.table, `${what}.table`),
    column: assertIdentifier(value.column ?? 'id', `${what}.column`),
  };
}

/**
 * Adds the requested foreign keys to a rendered `0001_init`: `ALTER TABLE … ADD CONSTRAINT`
 * statements on PostgreSQL, constraints inside `CREATE TABLE` on SQLite (which cannot add
 * them later).
 */
export function addForeignKeys(
  sql: string,
  provider: DatabaseProvider,
  tables: ResolvedTables,
  foreignKeys: AppForeignKeys = {},
): string {
  for (const key of Object.keys(foreignKeys)) {
    if (!['users', 'communities', 'channels'].includes(key)) {
      throw configError(`foreignKeys: unknown target "${key}"; use users, communities or channels`, {
        field: `foreignKeys.${key}`,
      });
    }
  }
  let result = sql;
  const statements: string[] = [];
  for (const fk of APP_FOREIGN_KEYS) {
    const value = foreignKeys[fk.target];
    if (value === undefined) continue;
    const target = resolveAppTable(value, `foreignKeys.${fk.target}`);
    const table = tables[fk.model];
    const constraint = `CONSTRAINT "${table}_${fk.column}_fkey" FOREIGN KEY ("${fk.column}") REFERENCES "${target.table}" ("${target.column}") ON DELETE ${fk.onDelete} ON UPDATE CASCADE`;
    if (provider === 'postgresql') {
      statements.push(`ALTER TABLE "${table}" ADD ${constraint};`);
      continue;
    }
    const create = new RegExp(`(CREATE TABLE "${table}" \\([\\s\\S]*?)\\n\\);`);
    if (!create.test(result))
      throw configError(`cannot find CREATE TABLE "${table}" to add a foreign key`, {});
    result = result.replace(create, (_all, body: string) => `${body},\n    ${constraint}\n);`);
  }
  if (statements.length > 0) {
    result = `${result.trimEnd()}\n\n-- Foreign keys to the app's tables (migrate option foreignKeys).\n${statements.join('\n')}\n`;
  }
  return result;
}
