import { newClipRecord, newSessionInput, uniqueId } from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaStores, type PrismaStores } from '../src/index.js';
import type { StoreContext } from '../src/internal.js';
import { PrismaQuotaLedger } from '../src/stores/quota-ledger.js';
import { PrismaSessionStore } from '../src/stores/session-store.js';
import { resolveTables } from '../src/tables.js';
import { DATABASES, type TestDatabase } from './support/databases.js';

const MB = 1_000_000;

function codes(results: PromiseSettledResult<unknown>[]): string[] {
  return results
    .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
    .map((result) => (result.reason as { code?: string }).code ?? String(result.reason));
}

// Two app instances (two PrismaClients, separate connection pools) on one database: the
// guarantees hold because the database enforces them, not because one process serialises.
for (const { name, create } of DATABASES) {
  describe(`races across two instances (${name})`, () => {
    let database: TestDatabase;
    let a: PrismaStores;
    let b: PrismaStores;
    const either = (i: number) => (i % 2 === 0 ? a : b);

    beforeAll(async () => {
      database = await create();
      a = createPrismaStores(database.prisma);
      b = createPrismaStores(database.openClient());
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('50 parallel creates for one user: one session, 49 ALREADY_ACTIVE', async () => {
      const userId = uniqueId('user');
      const inputs = Array.from({ length: 50 }, () => newSessionInput({ userId }));
      const results = await Promise.allSettled(inputs.map((input, i) => either(i).sessions.create(input)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(codes(results)).toEqual(Array(49).fill('ALREADY_ACTIVE'));
      const rows = await database.raw.query('SELECT "id" FROM "EgressSession" WHERE "userId" = $1', [userId]);
      expect(rows).toHaveLength(1);
    });

    it('community limit 3 under 24 parallel creates of different users: exactly 3 live', async () => {
      const communityId = uniqueId('community');
      const results = await Promise.allSettled(
        Array.from({ length: 24 }, (_, i) =>
          either(i).sessions.create(newSessionInput({ communityId }), { communityLimit: 3 }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      expect(codes(results)).toEqual(Array(21).fill('LIMIT_REACHED'));
      const [row] = await database.raw.query(
        `SELECT COUNT(*) AS "live" FROM "EgressSession" WHERE "communityId" = $1 AND "status" IN ('starting', 'active')`,
        [communityId],
      );
      expect(Number(row?.live)).toBe(3);
    });

    it('revivals racing new starts for one user leave exactly one live session', async () => {
      const userId = uniqueId('user');
      const old = await a.sessions.create(newSessionInput({ userId }));
      await a.sessions.transition(old.id, ['starting'], 'stopped', { endedAt: new Date() });
      const results = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          i % 3 === 0
            ? either(i).sessions.transition(old.id, ['stopped'], 'active', { endedAt: null })
            : either(i).sessions.create(newSessionInput({ userId })),
        ),
      );
      expect(new Set(codes(results))).toEqual(new Set(['ALREADY_ACTIVE']));
      const rows = await database.raw.query(
        `SELECT "id" FROM "EgressSession" WHERE "userId" = $1 AND "status" IN ('starting', 'active')`,
        [userId],
      );
      expect(rows).toHaveLength(1);
    });

    it('50 parallel reserves of 100 MB under 1 GB: exactly 10, and the ledger adds up', async () => {
      const userId = uniqueId('user');
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          either(i).quotas.reserve(userId, `res_${i}`, 100 * MB, 1_000 * MB),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      expect(codes(results)).toEqual(Array(40).fill('QUOTA_EXCEEDED'));
      // The stored counter equals the sum of pending reservation rows.
      const [row] = await database.raw.query(
        `SELECT q."reservedBytes" AS "counter",
           (SELECT SUM(r."bytes") FROM "ReplayQuotaReservation" r WHERE r."userId" = q."userId" AND r."status" = 'pending') AS "sum"
         FROM "UserReplayQuota" q WHERE q."userId" = $1`,
        [userId],
      );
      expect(Number(row?.counter)).toBe(1_000 * MB);
      expect(Number(row?.sum)).toBe(1_000 * MB);
    });

    it('parallel commits and releases across instances count each reservation once', async () => {
      const userId = uniqueId('user');
      for (let i = 0; i < 5; i++) await a.quotas.reserve(userId, `res_${i}`, 100 * MB, 1_000 * MB);
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 2 === 0
            ? either(i).quotas.commit(userId, `res_${i % 5}`, 50 * MB)
            : either(i).quotas.release(userId, `res_${i % 5}`),
        ),
      );
      const usage = await a.quotas.getUsage(userId, 1_000 * MB);
      expect(usage.reservedBytes).toBe(0);
      // Each id was either committed (50 MB) or released first; never counted twice.
      const committed = await database.raw.query(
        `SELECT COUNT(*) AS "n" FROM "ReplayQuotaReservation" WHERE "userId" = $1 AND "status" = 'committed'`,
        [userId],
      );
      expect(usage.usedBytes).toBe(Number(committed[0]?.n) * 50 * MB);
    });

    it('parallel deletes of one clip from both instances: exactly one gets the record', async () => {
      const clip = await a.clips.create(newClipRecord());
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => either(i).clips.delete(clip.id)),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect(await database.raw.getClip(clip.id)).toBeNull();
    });
  });
}

// The database's own guarantees, with the advisory locks out of the way: stores whose context
// says the client is "sqlite" skip pg_advisory_xact_lock (their write-lock statement is a no-op
// DELETE that PostgreSQL accepts without locking). Only the partial unique index and the
// compare-and-set updates are left to keep the invariants.
describe('PostgreSQL invariants without the advisory locks', () => {
  let database: TestDatabase;
  let unlocked: Array<{ sessions: PrismaSessionStore; quotas: PrismaQuotaLedger }>;

  beforeAll(async () => {
    database = await DATABASES[0]!.create();
    unlocked = [database.prisma, database.openClient()].map((prisma) => {
      const ctx: StoreContext = {
        prisma,
        provider: 'sqlite',
        now: () => new Date(),
        transaction: { maxWait: 10_000, timeout: 20_000 },
        tables: resolveTables(),
        // The schema check would query sqlite_master; the migrations were applied by create().
        ready: async () => {},
      };
      return { sessions: new PrismaSessionStore(ctx), quotas: new PrismaQuotaLedger(ctx) };
    });
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('the partial unique index alone refuses all but one of 30 parallel creates (ALREADY_ACTIVE)', async () => {
    const userId = uniqueId('user');
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => unlocked[i % 2]!.sessions.create(newSessionInput({ userId }))),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    expect(codes(results)).toEqual(Array(29).fill('ALREADY_ACTIVE'));
    const winnerId = (winners[0] as PromiseFulfilledResult<{ id: string }>).value.id;
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason.details.sessionId).toBe(winnerId);
    }
  });

  it('the compare-and-set alone keeps 30 parallel reserves within the limit', async () => {
    const userId = uniqueId('user');
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        unlocked[i % 2]!.quotas.reserve(userId, `res_${i}`, 100 * MB, 1_000 * MB),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    expect(codes(results)).toEqual(Array(20).fill('QUOTA_EXCEEDED'));
    expect(await database.raw.getQuota(userId)).toMatchObject({ reservedBytes: 1_000 * MB, usedBytes: 0 });
  });
});
