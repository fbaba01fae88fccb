import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { DatabaseProvider } from './connection.js';
import type { StoreContext } from './internal.js';
import { PrismaClipStore } from './stores/clip-store.js';
import { PrismaCommunityConfigStore } from './stores/community-config-store.js';
import { PrismaQuotaLedger } from './stores/quota-ledger.js';
import { PrismaSessionStore } from './stores/session-store.js';

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
  /** Needed when `clipFiles` is on (the default). */
  file?: object;
  $transaction: unknown;
  $executeRawUnsafe: unknown;
}

export interface PrismaStoresOptions {
  /** Normally read from the client; set it when a client extension hides it. */
  provider?: DatabaseProvider;
  /** Time source for createdAt/updatedAt (default: this process's clock). */
  now?: () => Date;
  /** Interactive transaction limits in ms (defaults: maxWait 10 000, timeout 20 000). */
  transaction?: { maxWait?: number; timeout?: number };
  /**
   * Also write a File row (resourceType REPLAY_CLIP, same id as the clip) for each clip and
   * delete it with the clip. Default true; turn off when your schema has no File model.
   */
  clipFiles?: boolean;
}

export interface PrismaStores {
  sessions: PrismaSessionStore;
  clips: PrismaClipStore;
  quotas: PrismaQuotaLedger;
  communities: PrismaCommunityConfigStore;
}

const MODELS = [
  'egressSession',
  'replayClip',
  'communityReplayConfig',
  'userReplayQuota',
  'replayQuotaReservation',
];

/**
 * The SessionStore, ClipStore, QuotaLedger and CommunityConfigStore on one PrismaClient
 * (PostgreSQL through @prisma/adapter-pg, or SQLite through @prisma/adapter-libsql). The
 * database must have the migrations applied (`livekit-replay-prisma migrate` or `migrate()`).
 */
export function createPrismaStores(
  prisma: ReplayPrismaClient,
  options: PrismaStoresOptions = {},
): PrismaStores {
  const clipFiles = options.clipFiles ?? true;
  const client = prisma as unknown as Record<string, unknown>;
  const missing = [...MODELS, ...(clipFiles ? ['file'] : [])].filter(
    (model) => typeof client[model] !== 'object' || client[model] === null,
  );
  if (missing.length > 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `the Prisma client has no ${missing.join(', ')} model(s): copy the livekit-replay schema fragment ` +
        '(@livekit-replay/adapter-prisma/prisma/schema.prisma) into your schema and run prisma generate' +
        (missing.includes('file') ? ', or pass { clipFiles: false }' : ''),
      { details: { missing } },
    );
  }
  const provider = options.provider ?? detectProvider(client);
  const ctx: StoreContext = {
    prisma,
    provider,
    now: options.now ?? (() => new Date()),
    transaction: {
      maxWait: options.transaction?.maxWait ?? 10_000,
      timeout: options.transaction?.timeout ?? 20_000,
    },
    clipFiles,
  };
  return {
    sessions: new PrismaSessionStore(ctx),
    clips: new PrismaClipStore(ctx),
    quotas: new PrismaQuotaLedger(ctx),
    communities: new PrismaCommunityConfigStore(ctx),
  };
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
