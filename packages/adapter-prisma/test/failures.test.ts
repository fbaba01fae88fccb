import { randomBytes } from 'node:crypto';
import { newClipRecord, newSessionInput, uniqueId } from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresClient } from '../src/client.js';
import { createPrismaStores, type PrismaStores } from '../src/index.js';
import { createPostgresDatabase, type TestDatabase, withSchema } from './support/databases.js';
import { TcpProxy } from './support/tcp-proxy.js';

const MB = 1_000_000;

async function expectCode(action: () => Promise<unknown>, code: string): Promise<Error> {
  const error = await action().then(
    () => {
      throw new Error(`expected ${code}, but the call succeeded`);
    },
    (e: unknown) => e as Error,
  );
  expect(error).toMatchObject({ name: 'ReplayBufferError', code });
  return error;
}

describe('PostgreSQL going away (through a TCP proxy)', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let client: ReturnType<typeof openPostgresClient>;
  let stores: PrismaStores;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    proxy = new TcpProxy(Number(new URL(database.url).port || 5432));
    const port = await proxy.start();
    const url = new URL(database.url);
    url.port = String(port);
    client = openPostgresClient(withSchema(url.toString(), database.schema!), {
      max: 3,
      connectionTimeoutMillis: 2_000,
    });
    stores = createPrismaStores(client);
  });

  afterAll(async () => {
    await client?.$disconnect().catch(() => {});
    await proxy?.close();
    await database?.drop();
  });

  it('answers STORAGE_ERROR with the driver error as cause while down, writes nothing, and recovers', async () => {
    const live = await stores.sessions.create(newSessionInput());
    await stores.quotas.reserve(live.userId, 'res_before', 100 * MB, 1_000 * MB);

    proxy.cut();
    const blocked = newSessionInput();
    const clip = newClipRecord();
    const attempts: Array<() => Promise<unknown>> = [
      () => stores.sessions.create(blocked),
      () => stores.sessions.get(live.id),
      () => stores.sessions.transition(live.id, ['starting'], 'active', { startedAt: new Date() }),
      () => stores.sessions.listByStatus(['starting']),
      () => stores.clips.create(clip),
      () => stores.clips.listByOwner(clip.ownerId),
      () => stores.quotas.reserve(live.userId, 'res_down', 100 * MB, 1_000 * MB),
      () => stores.communities.set({ communityId: uniqueId('community'), enabled: true, maxConcurrent: 2 }),
    ];
    for (const attempt of attempts) {
      const error = await expectCode(attempt, 'STORAGE_ERROR');
      expect(error.cause).toBeDefined();
      expect(error.message).toMatch(/database/);
    }

    // Nothing reached the database, and nothing changed.
    expect(await database.raw.getSession(blocked.id)).toBeNull();
    expect(await database.raw.getSession(live.id)).toMatchObject({ status: 'starting' });
    expect(await database.raw.getClip(clip.id)).toBeNull();
    expect(await database.raw.getQuota(live.userId)).toMatchObject({ reservedBytes: 100 * MB });

    proxy.restore();
    // The same calls work again on new connections.
    const created = await stores.sessions.create(blocked);
    expect(created.status).toBe('starting');
    expect(await stores.sessions.transition(live.id, ['starting'], 'active')).toMatchObject({
      status: 'active',
    });
    expect((await stores.clips.create(clip)).id).toBe(clip.id);
    expect((await stores.quotas.reserve(live.userId, 'res_down', 100 * MB, 1_000 * MB)).reservedBytes).toBe(
      200 * MB,
    );
    expect(await database.raw.getSession(blocked.id)).toMatchObject({ status: 'starting' });
  });

  it('a connection lost inside a transaction leaves nothing half-written (clip)', async () => {
    const clip = newClipRecord();
    // The duplicate check runs first in the transaction; the connection dies when the clip
    // INSERT is sent, so PostgreSQL rolls the transaction back.
    proxy.cutOnce((chunk) => chunk.includes('INSERT INTO') && chunk.includes('"ReplayClip"'));
    await expectCode(() => stores.clips.create(clip), 'STORAGE_ERROR');
    expect(await database.raw.getClip(clip.id)).toBeNull();
    // Retrying succeeds.
    await stores.clips.create(clip);
    expect((await database.raw.getClip(clip.id))?.sha256).toBe(clip.sha256);
  });

  it('a connection lost inside a reservation leaves the ledger as it was', async () => {
    const userId = uniqueId('user');
    await stores.quotas.reserve(userId, 'r1', 100 * MB, 1_000 * MB);
    let sawReservationInsert = false;
    proxy.cutOnce((chunk) => {
      if (chunk.includes('INSERT INTO') && chunk.includes('"ReplayQuotaReservation"')) {
        sawReservationInsert = true;
        return false;
      }
      return sawReservationInsert && chunk.includes('"UserReplayQuota"');
    });
    await expectCode(() => stores.quotas.reserve(userId, 'r2', 300 * MB, 1_000 * MB), 'STORAGE_ERROR');
    expect(sawReservationInsert).toBe(true);
    expect(await database.raw.getQuota(userId)).toMatchObject({ usedBytes: 0, reservedBytes: 100 * MB });
    expect(
      await database.raw.query(
        'SELECT "id" FROM "ReplayQuotaReservation" WHERE "userId" = $1 ORDER BY "id"',
        [userId],
      ),
    ).toEqual([{ id: 'r1' }]);
    expect((await stores.quotas.reserve(userId, 'r2', 300 * MB, 1_000 * MB)).reservedBytes).toBe(400 * MB);
  });

  it('refuses malformed input with INVALID_INPUT before querying (the database is down meanwhile)', async () => {
    proxy.cut();
    try {
      const id = `rs_${randomBytes(4).toString('hex')}`;
      const invalid: Array<() => Promise<unknown>> = [
        () => stores.sessions.get('../etc/passwd'),
        () => stores.sessions.get(''),
        () => stores.sessions.get(42 as unknown as string),
        () => stores.sessions.transition('a/b', ['starting'], 'active'),
        () => stores.sessions.transition(id, ['starting'], 'paused' as never),
        () => stores.sessions.transition(id, ['starting', 'nope' as never], 'active'),
        () => stores.sessions.patch(id, ['active'], { missedSightings: -1 }),
        () => stores.sessions.patch(id, ['active'], { startedAt: new Date(Number.NaN) }),
        () => stores.sessions.delete('dot.ted'),
        () => stores.sessions.findLiveByUser(''),
        () => stores.sessions.findByEgressId('x'.repeat(200)),
        () => stores.sessions.listByStatus(['paused' as never]),
        () => stores.sessions.listEndedBefore(new Date('garbage')),
        () => stores.sessions.create(newSessionInput({ id: 'has space' })),
        () => stores.sessions.create(newSessionInput({ segmentDurationSeconds: 2.5 })),
        () => stores.sessions.create(newSessionInput(), { communityLimit: -1 }),
        () => stores.clips.get('has space'),
        () => stores.clips.create(newClipRecord({ sizeBytes: -5 })),
        () => stores.clips.create(newClipRecord({ width: 1.5 })),
        () => stores.clips.listByOwner('owner', { limit: 0 }),
        () => stores.clips.listByOwner('owner', { cursor: 'not-a-cursor' }),
        () => stores.clips.setVisibility('clip_1', 'secret' as never),
        () => stores.clips.delete('../x'),
        () => stores.quotas.reserve('', 'r', 1, 1),
        () => stores.quotas.reserve('u', 'r', -1, 1),
        () => stores.quotas.commit('u', 'r', 0.5),
        () => stores.quotas.free('u', Number.NaN),
        () => stores.quotas.setLimit('u', -1),
        () => stores.communities.get(''),
        () => stores.communities.set({ communityId: 'c', enabled: true, maxConcurrent: 0 }),
      ];
      for (const attempt of invalid) await expectCode(attempt, 'INVALID_INPUT');
    } finally {
      proxy.restore();
    }
  });
});
