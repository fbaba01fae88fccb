import { toFileRecord } from '@livekit-replay/core/adapter';
import { newClipRecord, newSessionInput } from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaStores } from '../src/index.js';
import { DATABASES, type TestDatabase } from './support/databases.js';

describe('createPrismaStores configuration', () => {
  it('names the models a client lacks', () => {
    const partial = { egressSession: {}, replayClip: {}, $transaction() {}, $executeRawUnsafe() {} };
    expect(() => createPrismaStores(partial as never)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(
          'communityReplayConfig, userReplayQuota, replayQuotaReservation, file',
        ),
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
    expect(() => createPrismaStores(models, { clipFiles: false })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('provider') }),
    );
    expect(() => createPrismaStores(models, { clipFiles: false, provider: 'sqlite' })).not.toThrow();
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

    it('writes a File row per clip (REPLAY_CLIP) and removes it with the clip', async () => {
      const stores = createPrismaStores(database.prisma);
      const clip = await stores.clips.create(newClipRecord({ sizeBytes: 5_000_000_001 }));
      const [file] = await database.raw.query(
        'SELECT "filename", "mimeType", "size", "checksum", "resourceType", "storagePath", "uploadedById" FROM "File" WHERE "id" = $1',
        [clip.id],
      );
      expect({ ...file, size: Number(file?.size) }).toEqual({
        filename: toFileRecord(clip).filename,
        mimeType: 'video/mp4',
        size: 5_000_000_001,
        checksum: clip.sha256,
        resourceType: 'REPLAY_CLIP',
        storagePath: clip.storageKey,
        uploadedById: clip.ownerId,
      });
      expect(await stores.clips.delete(clip.id)).toEqual(clip);
      expect(await database.raw.query('SELECT "id" FROM "File" WHERE "id" = $1', [clip.id])).toEqual([]);
    });

    it('with clipFiles: false, writes no File row', async () => {
      const stores = createPrismaStores(database.prisma, { clipFiles: false });
      const clip = await stores.clips.create(newClipRecord());
      expect(await database.raw.query('SELECT "id" FROM "File" WHERE "id" = $1', [clip.id])).toEqual([]);
      expect(await stores.clips.get(clip.id)).toEqual(clip);
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
