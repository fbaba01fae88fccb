import type { SessionStore } from '@livekit-replay/core';
import { runManagerCaptureSuite } from '@livekit-replay/testing/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaStores, createSeedFileRecords, migrate } from '../src/index.js';
import { createSeedAppDatabase, SEED_APP_TABLES, type SeedAppDatabase } from './support/seed-app.js';

/** The app's users exist before they share their screen: the test app signs each one up first. */
function signingUpUsers(sessions: SessionStore, app: SeedAppDatabase): SessionStore {
  return new Proxy(sessions, {
    get(target, key, receiver) {
      if (key !== 'create') return Reflect.get(target, key, receiver);
      return async (...args: Parameters<SessionStore['create']>) => {
        await app.query(`INSERT INTO "User" ("id", "username") VALUES ($1, $1) ON CONFLICT DO NOTHING`, [
          args[0].userId,
        ]);
        return target.create(...args);
      };
    },
  });
}

// The capture suite (emulator + real SDK + real ffmpeg) on a seed-like app's database: renamed
// tables with foreign keys to its User/Community/Channel, and each saved clip recorded in the
// app's own File table through createSeedFileRecords.
for (const provider of ['postgresql', 'sqlite'] as const) {
  let app: SeedAppDatabase | undefined;
  runManagerCaptureSuite({
    name: `prisma in a seed-like app (${provider})`,
    durations: [10],
    stores: async () => {
      app = await createSeedAppDatabase(provider);
      await migrate({
        url: app.url,
        provider,
        tables: SEED_APP_TABLES,
        foreignKeys: { users: 'User', communities: 'Community', channels: 'Channel' },
      });
      const client = app.openClient();
      const stores = createPrismaStores(client);
      await stores.ready();
      return {
        sessions: signingUpUsers(stores.sessions, app),
        clips: stores.clips,
        quotas: stores.quotas,
        communities: stores.communities,
        // The manager records each saved clip in the app's own File table, and deletes it with the clip.
        hooks: { clipFileRecords: createSeedFileRecords(client) },
      };
    },
  });

  describe(`the app's File table after the captures (${provider})`, () => {
    afterAll(async () => {
      await app?.drop();
    });

    it('holds one REPLAY_CLIP row per saved clip, matching it, beside the rows it had', async () => {
      const clips = await app!.query(
        `SELECT "id", "ownerId", "sizeBytes", "sha256", "storageKey" FROM "replay_clips" ORDER BY "id"`,
      );
      expect(clips.length).toBeGreaterThan(0);
      const files = await app!.query(
        `SELECT "id", "uploadedById", "size", "checksum", "storagePath", "mimeType", "fileType", "storageType"
           FROM "File" WHERE "resourceType" = 'REPLAY_CLIP' AND "id" <> 'file_old_clip' ORDER BY "id"`,
      );
      expect(files.map((f) => ({ ...f, size: Number(f.size) }))).toEqual(
        clips.map((clip) => ({
          id: clip.id,
          uploadedById: clip.ownerId,
          size: Number(clip.sizeBytes),
          checksum: clip.sha256,
          storagePath: clip.storageKey,
          mimeType: 'video/mp4',
          fileType: 'VIDEO',
          storageType: 'LOCAL',
        })),
      );
      const others = await app!.query(
        `SELECT "id" FROM "File" WHERE "id" IN ('file_avatar', 'file_old_clip')`,
      );
      expect(others).toHaveLength(2);
    });
  });
}
