import { newSessionInput } from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaStores } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';

describe('createPrismaStores configuration', () => {
  it('names the models a client lacks', () => {
    const partial = { egressSession: {}, replayClip: {}, $transaction() {}, $executeRawUnsafe() {} };
    expect(() => createPrismaStores(partial as never)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('communityReplayConfig, userReplayQuota, replayQuotaReservation'),
      }),
    );
  });

  it('asks for the provider when it cannot read it from the client', () => {
    const models = {
      egressSession: {},
      replayClip: {},
      communityReplayConfig: {},
      userReplayQuota: {},
      replayQuotaReservation: {},
      $transaction() {},
      $executeRawUnsafe() {},
    };
    expect(() => createPrismaStores(models)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('provider') }),
    );
    expect(() => createPrismaStores(models, { provider: 'sqlite' })).not.toThrow();
  });

  it('refuses table names that are not plain identifiers, unknown models and a bad schema name', () => {
    const models = {
      egressSession: {},
      replayClip: {},
      communityReplayConfig: {},
      userReplayQuota: {},
      replayQuotaReservation: {},
      $transaction() {},
      $executeRawUnsafe() {},
    };
    const bad = [
      { tables: { EgressSession: 'x"; DROP TABLE "User' } },
      { tables: { EgressSession: '1abc' } },
      { tables: { EgressSession: 'a'.repeat(64) } },
      { tables: { EgressSession: 'same', ReplayClip: 'same' } },
      { tables: { Unknown: 'x' } as never },
      { schema: 'a;b' },
    ];
    for (const options of bad) {
      expect(() => createPrismaStores(models, { provider: 'postgresql', ...options })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });
});

for (const { name, create } of DATABASES) {
  describe(`store details (${name})`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await create();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('reads the table names from the client and refuses an option that contradicts them', async () => {
      const stores = createPrismaStores(database.prisma, { tables: { EgressSession: 'EgressSession' } });
      await expect(stores.ready()).resolves.toBeUndefined();
      expect(() => createPrismaStores(database.prisma, { tables: { ReplayClip: 'replay_clips' } })).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining(
            'ReplayClip is "ReplayClip" in the Prisma client, not "replay_clips"',
          ),
        }),
      );
    });

    it('uses the clock it is given for createdAt/updatedAt', async () => {
      const fixed = new Date('2030-05-06T07:08:09.123Z');
      const stores = createPrismaStores(database.prisma, { now: () => fixed });
      const session = await stores.sessions.create(newSessionInput());
      expect(session.createdAt).toEqual(fixed);
      expect(
        (
          await database.raw.query('SELECT "updatedAt" FROM "EgressSession" WHERE "id" = $1', [session.id])
        )[0],
      ).toBeDefined();
    });

    it('refuses an egress id that another session already holds, changing nothing', async () => {
      const stores = createPrismaStores(database.prisma);
      const egressId = `EG_${Date.now()}`;
      await stores.sessions.create(newSessionInput({ egressId }));
      const other = await stores.sessions.create(newSessionInput());
      await expect(stores.sessions.patch(other.id, ['starting'], { egressId })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      expect((await database.raw.getSession(other.id))?.egressId).toBeNull();
    });
  });
}
