import { readFileSync } from 'node:fs';
import { newClipRecord, newSessionInput } from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaStores, createSeedFileRecords, migrate, type PrismaStores } from '../src/index.js';
import { readers } from './support/databases.js';
import {
  createSeedAppDatabase,
  SEED_APP_TABLES,
  SEED_CHANNEL,
  SEED_COMMUNITY,
  type SeedAppClient,
  type SeedAppDatabase,
} from './support/seed-app.js';

const ALL = ['0001_init', '0002_race_safety'];
const FOREIGN_KEYS = { users: 'User', communities: 'Community', channels: 'Channel' };
const MB = 1_000_000;

/** The SQL the migration guide gives for copying the seed's clips (step 5), read from the guide. */
function guideCopySql(): string {
  const guide = readFileSync(new URL('../../../docs/migration-guide.md', import.meta.url), 'utf8');
  const block = [...guide.matchAll(/```sql\n([\s\S]*?)```/g)].find((m) =>
    m[1]!.includes('INSERT INTO "replay_clips"'),
  );
  if (!block) throw new Error('docs/migration-guide.md has no INSERT INTO "replay_clips" block');
  return block[1]!.replace(/^ {3}/gm, '');
}

// An existing app shaped like the seed (its User, Community, Channel, File tables with rows, its
// enums, and its own EgressSession/ReplayClip tables): our migrations go in beside it, renamed,
// with foreign keys to its tables, and change nothing of its own.
for (const provider of ['postgresql', 'sqlite'] as const) {
  describe(`adopting livekit-replay in a seed-like app (${provider})`, () => {
    let app: SeedAppDatabase;
    let before: string;
    let client: SeedAppClient;
    let stores: PrismaStores;
    const raw = () => readers(app.query, SEED_APP_TABLES);

    beforeAll(async () => {
      app = await createSeedAppDatabase(provider);
      before = await app.dump();
    });
    afterAll(async () => {
      await app?.drop();
    });

    it("refuses our default table names where the app's own tables are, changing nothing", async () => {
      const error = await migrate({ url: app.url, provider }).catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/"EgressSession".*"ReplayClip".*did not create/),
        details: { tables: expect.arrayContaining(['EgressSession', 'ReplayClip']) },
      });
      expect(await app.dump()).toBe(before);
      const ours = await app.query(
        provider === 'postgresql'
          ? `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'CommunityReplayConfig'`
          : `SELECT 1 FROM sqlite_master WHERE name = 'CommunityReplayConfig'`,
      );
      expect(ours).toEqual([]);
    });

    it("applies with renamed tables and foreign keys; the app's tables, enums and rows are untouched", async () => {
      const options = { url: app.url, provider, tables: SEED_APP_TABLES, foreignKeys: FOREIGN_KEYS };
      expect(await migrate(options)).toEqual({ provider, applied: ALL, alreadyApplied: [] });
      expect(await app.dump()).toBe(before);
      expect(await migrate(options)).toMatchObject({ applied: [], alreadyApplied: ALL });
      // Other names or keys later would silently diverge from what ran: refused.
      await expect(migrate({ url: app.url, provider, tables: SEED_APP_TABLES })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('0001_init'),
      });
      const [index] = await app.query(
        provider === 'postgresql'
          ? `SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'replay_sessions_one_live_per_user'`
          : `SELECT name FROM sqlite_master WHERE name = 'replay_sessions_one_live_per_user'`,
      );
      expect(index?.name).toBe('replay_sessions_one_live_per_user');
    });

    it("the stores take the table names from the app's client and pass the start-up check", async () => {
      client = app.openClient();
      stores = createPrismaStores(client);
      await expect(stores.ready()).resolves.toBeUndefined();
      expect(() => createPrismaStores(client, { tables: { EgressSession: 'EgressSession' } })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
      const session = await stores.sessions.create(newSessionInput({ userId: 'user_alice' }));
      expect(await raw().getSession(session.id)).toMatchObject({ userId: 'user_alice', status: 'starting' });
      // The app's own EgressSession table did not get it.
      expect(await app.query(`SELECT "id" FROM "EgressSession" WHERE "id" = $1`, [session.id])).toEqual([]);
      expect(await stores.sessions.transition(session.id, ['starting'], 'stopped')).toMatchObject({
        status: 'stopped',
      });
    });

    // The guide's SQL is PostgreSQL's (the seed runs on PostgreSQL).
    if (provider === 'postgresql') {
      it("the migration guide's SQL copies the seed's own clips into ours", async () => {
        await app.exec(guideCopySql());
        const copied = await stores.clips.get('old_clip');
        expect(copied).toMatchObject({
          ownerId: 'user_bob',
          channelId: SEED_CHANNEL,
          communityId: SEED_COMMUNITY,
          durationSeconds: 60,
          sizeBytes: 99_999,
          sha256: 'def',
          visibility: 'private',
          storageKey: 'clips/old_clip.mp4',
        });
        expect(copied!.actualEnd.getTime() - copied!.actualStart.getTime()).toBe(60_000);
        expect((await stores.clips.listByOwner('user_bob')).items.map((clip) => clip.id)).toEqual([
          'old_clip',
        ]);
      });
    }

    it("writes the clip's file record into the app's File table (seed shape) and removes it with the clip", async () => {
      const files = createSeedFileRecords(client);
      const clip = await stores.clips.create(
        newClipRecord({ ownerId: 'user_alice', posterKey: 'clips/poster.jpg', sizeBytes: 12_345_678 }),
      );
      await files.created({ clip });
      await files.created({ clip }); // a retried hook leaves one row
      const rows = await app.query(
        `SELECT "filename", "mimeType", "fileType", "size", "checksum", "uploadedById", "resourceType", "fileUserId",
                "storageType", "storagePath", "thumbnailPath", "deletedAt" FROM "File" WHERE "id" = $1`,
        [clip.id],
      );
      expect(rows.map((row) => ({ ...row, size: Number(row.size) }))).toEqual([
        {
          filename: expect.stringMatching(/^replay-.*\.mp4$/),
          mimeType: 'video/mp4',
          fileType: 'VIDEO',
          size: 12_345_678,
          checksum: clip.sha256,
          uploadedById: 'user_alice',
          resourceType: 'REPLAY_CLIP',
          fileUserId: 'user_alice',
          storageType: 'LOCAL',
          storagePath: clip.storageKey,
          thumbnailPath: 'clips/poster.jpg',
          deletedAt: null,
        },
      ]);
      expect(await stores.clips.delete(clip.id)).toMatchObject({ id: clip.id });
      await files.deleted({ clip });
      expect(await app.query(`SELECT "id" FROM "File" WHERE "id" = $1`, [clip.id])).toEqual([]);
      // The app's other files are still there.
      expect((await app.query(`SELECT "id" FROM "File" ORDER BY "id"`)).map((r) => r.id)).toEqual([
        'file_avatar',
        'file_old_clip',
      ]);

      // Soft delete (the seed's deletedAt), and a clip too big for the seed's Int size column.
      const soft = createSeedFileRecords(client.file, { softDelete: true });
      const kept = await stores.clips.create(newClipRecord({ ownerId: 'user_alice' }));
      await soft.created({ clip: kept });
      await soft.deleted({ clip: kept });
      const [marked] = await app.query(`SELECT "deletedAt" FROM "File" WHERE "id" = $1`, [kept.id]);
      expect(marked?.deletedAt).not.toBeNull();
      await expect(
        files.created({ clip: { ...kept, id: 'clip_huge', sizeBytes: 3_000_000_000 } }),
      ).rejects.toMatchObject({ code: 'STORAGE_ERROR', message: expect.stringContaining("size: 'bigint'") });
    });

    it('deleting a channel unlinks our rows; deleting a user deletes their sessions, clips and quota', async () => {
      const userId = 'user_bob';
      const session = await stores.sessions.create(
        newSessionInput({ userId, communityId: SEED_COMMUNITY, channelId: SEED_CHANNEL }),
      );
      const clip = await stores.clips.create(
        newClipRecord({ ownerId: userId, communityId: SEED_COMMUNITY, channelId: SEED_CHANNEL }),
      );
      await stores.quotas.reserve(userId, 'res_1', 10 * MB, 100 * MB);
      await stores.communities.set({ communityId: SEED_COMMUNITY, enabled: true, maxConcurrent: 3 });
      // A user the app does not know cannot own a session.
      await expect(stores.sessions.create(newSessionInput({ userId: 'user_nobody' }))).rejects.toMatchObject({
        name: 'ReplayBufferError',
      });

      await app.query(`DELETE FROM "Channel" WHERE "id" = $1`, [SEED_CHANNEL]);
      expect((await stores.sessions.get(session.id))?.channelId).toBeNull();
      expect((await stores.clips.get(clip.id))?.channelId).toBeNull();

      await app.query(`DELETE FROM "User" WHERE "id" = $1`, [userId]);
      expect(await raw().getSession(session.id)).toBeNull();
      expect(await raw().getClip(clip.id)).toBeNull();
      expect(await raw().getQuota(userId)).toBeNull();
      expect(
        await app.query(`SELECT "id" FROM "replay_quota_reservations" WHERE "userId" = $1`, [userId]),
      ).toEqual([]);
      // Alice's rows are untouched; deleting the community deletes its replay settings only.
      expect(await raw().getCommunityConfig(SEED_COMMUNITY)).toMatchObject({ maxConcurrent: 3 });
      await app.query(`DELETE FROM "Community" WHERE "id" = $1`, [SEED_COMMUNITY]);
      expect(await raw().getCommunityConfig(SEED_COMMUNITY)).toBeNull();
      expect((await stores.clips.listByOwner('user_alice')).items.length).toBeGreaterThan(0);
    });
  });
}
