import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { DatabaseProvider } from './connection.js';
import type { StoreContext } from './internal.js';
import { assertReplaySchema } from './schema-check.js';
import { PrismaClipStore } from './stores/clip-store.js';
import { PrismaCommunityConfigStore } from './stores/community-config-store.js';
import { PrismaQuotaLedger } from './stores/quota-ledger.js';
import { PrismaSessionStore } from './stores/session-store.js';
import {
  assertIdentifier,
  REPLAY_MODELS,
  type ReplayTableNames,
  type ResolvedTables,
  resolveTables,
} from './tables.js';

/**
 * What `createPrismaStores` needs from a PrismaClient: the delegates of the models in the
 * schema fragment. Any client generated from a schema that includes the fragment fits,
 * whatever else the schema holds.
 */
export interface ReplayPrismaClient {
  egressSession: object;
  replayClip: object;
  communityReplayConfig: object;
  userReplayQuota: object;
  replayQuotaReservation: object;
  $transaction: unknown;
  $executeRawUnsafe: unknown;
  $queryRawUnsafe?: unknown;
}

export interface PrismaStoresOptions {
  /** Normally read from the client; set it when a client extension hides it. */
  provider?: DatabaseProvider;
  /** Time source for createdAt/updatedAt (default: this process's clock). */
  now?: () => Date;
  /** Interactive transaction limits in ms (defaults: maxWait 10 000, timeout 20 000). */
  transaction?: { maxWait?: number; timeout?: number };
  /**
   * Table names of the fragment's models. Normally read from the client (your `@@map`s); set
   * them when a client extension hides them. A name that contradicts the client is refused.
   */
  tables?: ReplayTableNames;
  /**
   * PostgreSQL schema holding the tables, for the start-up check's raw queries (default: the
   * connection's search_path). Set it when your PrismaPg adapter has `{ schema }` but the
   * search_path does not include it.
   */
  schema?: string;
}

export interface PrismaStores {
  sessions: PrismaSessionStore;
  clips: PrismaClipStore;
  quotas: PrismaQuotaLedger;
  communities: PrismaCommunityConfigStore;
  /**
   * Checks the database once (tables and the race-safety objects of 0002_race_safety) and
   * resolves, or rejects with CONFIG_INVALID naming the migration to apply. Every store call
   * waits for it too, so the stores never run without those objects; await it at start-up
   * to fail fast.
   */
  ready(): Promise<void>;
}

const DELEGATES = REPLAY_MODELS.map((model) => `${model[0]!.toLowerCase()}${model.slice(1)}`);

/**
 * The SessionStore, ClipStore, QuotaLedger and CommunityConfigStore on one PrismaClient
 * (PostgreSQL through @prisma/adapter-pg, or SQLite through @prisma/adapter-libsql). The
 * database must have the migrations applied (`livekit-replay-prisma migrate` or `migrate()`).
 */
export function createPrismaStores(
  prisma: ReplayPrismaClient,
  options: PrismaStoresOptions = {},
): PrismaStores {
  const client = prisma as unknown as Record<string, unknown>;
  const missing = DELEGATES.filter((model) => typeof client[model] !== 'object' || client[model] === null);
  if (missing.length > 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `the Prisma client has no ${missing.join(', ')} model(s): copy the livekit-replay schema fragment ` +
        '(@livekit-replay/adapter-prisma/prisma/schema.prisma) into your schema and run prisma generate',
      { details: { missing } },
    );
  }
  const provider = options.provider ?? detectProvider(client);
  const tables = tablesOf(client, options.tables);
  const schema = options.schema === undefined ? undefined : assertIdentifier(options.schema, 'schema');
  let checked: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    // Shared by concurrent callers; forgotten on failure, so a migration applied meanwhile
    // (or a database that comes back) is seen by the next call.
    checked ??= assertReplaySchema(
      (sql, ...values) =>
        (client.$queryRawUnsafe as (sql: string, ...v: unknown[]) => Promise<Array<Record<string, unknown>>>)(
          sql,
          ...values,
        ),
      provider,
      tables,
      schema,
    ).catch((error: unknown) => {
      checked = null;
      throw error;
    });
    return checked;
  };
  const ctx: StoreContext = {
    prisma,
    provider,
    now: options.now ?? (() => new Date()),
    transaction: {
      maxWait: options.transaction?.maxWait ?? 10_000,
      timeout: options.transaction?.timeout ?? 20_000,
    },
    tables,
    ready,
  };
  return {
    sessions: new PrismaSessionStore(ctx),
    clips: new PrismaClipStore(ctx),
    quotas: new PrismaQuotaLedger(ctx),
    communities: new PrismaCommunityConfigStore(ctx),
    ready,
  };
}

/** The table names in the client's data model (its `@@map`s), checked against the option. */
function tablesOf(client: Record<string, unknown>, configured: ReplayTableNames | undefined): ResolvedTables {
  const models = (
    client._runtimeDataModel as { models?: Record<string, { dbName?: string | null }> } | undefined
  )?.models;
  if (!models) return resolveTables(configured);
  const fromClient: ReplayTableNames = {};
  for (const model of REPLAY_MODELS) fromClient[model] = models[model]?.dbName ?? model;
  const resolved = resolveTables(fromClient);
  if (configured) {
    const expected = resolveTables(configured);
    const wrong = REPLAY_MODELS.filter((model) => model in configured && expected[model] !== resolved[model]);
    if (wrong.length > 0) {
      throw new ReplayBufferError(
        ReplayErrorCode.CONFIG_INVALID,
        `tables: ${wrong.map((m) => `${m} is "${resolved[m]}" in the Prisma client, not "${expected[m]}"`).join('; ')}; ` +
          'make the @@map in your schema and the tables option agree (or leave the option out)',
        { details: { models: wrong } },
      );
    }
  }
  return resolved;
}

function detectProvider(client: Record<string, unknown>): DatabaseProvider {
  // Prisma keeps the schema's provider here; no public accessor exists in Prisma 7.
  const active = client._activeProvider;
  if (active === 'postgresql' || active === 'postgres') return 'postgresql';
  if (active === 'sqlite') return 'sqlite';
  throw new ReplayBufferError(
    ReplayErrorCode.CONFIG_INVALID,
    `cannot tell the database of this Prisma client (${String(active)}); pass { provider: 'postgresql' | 'sqlite' }`,
  );
}
