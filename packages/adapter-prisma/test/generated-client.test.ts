import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES, type TestDatabase } from './support/databases.js';

// The generated client against every table the migrations create: write every field of each
// model, read it back (with relations), update it and delete it, on both databases.
for (const { name, create } of DATABASES) {
  describe(`generated client on the migrated database (${name})`, () => {
    let database: TestDatabase;
    const at = (iso: string) => new Date(iso);

    beforeAll(async () => {
      database = await create();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('EgressSession: create, read, update, delete', async () => {
      const db = database.prisma;
      const data = {
        id: 'rs_crud',
        userId: 'user-1',
        roomName: 'room',
        videoTrackId: 'TR_V',
        audioTrackId: 'TR_A',
        communityId: 'community-1',
        channelId: 'channel-1',
        quality: '1080p',
        egressId: 'EG_crud',
        status: 'active',
        segmentDir: 'rs_crud',
        filenamePrefix: 'replay',
        playlistName: 'replay.m3u8',
        livePlaylistName: 'replay-live.m3u8',
        segmentNaming: 'TIMESTAMP',
        segmentDurationSeconds: 4,
        createdAt: at('2026-01-02T03:04:05.678Z'),
        updatedAt: at('2026-01-02T03:04:06.000Z'),
        startedAt: at('2026-01-02T03:04:07.001Z'),
        endedAt: null,
        endReason: null,
        error: null,
        missedSightings: 1,
      };
      await db.egressSession.create({ data });
      expect(await db.egressSession.findUnique({ where: { egressId: 'EG_crud' } })).toEqual(data);
      const updated = await db.egressSession.update({
        where: { id: 'rs_crud' },
        data: { status: 'stopped', endedAt: at('2026-01-02T04:00:00.000Z'), endReason: 'user', error: 'x' },
      });
      expect(updated).toMatchObject({ status: 'stopped', endReason: 'user', error: 'x' });
      expect(await db.egressSession.count({ where: { userId: 'user-1', status: 'stopped' } })).toBe(1);
      await db.egressSession.delete({ where: { id: 'rs_crud' } });
      expect(await db.egressSession.findUnique({ where: { id: 'rs_crud' } })).toBeNull();
    });

    it('ReplayClip (Json metadata, BigInt sizes)', async () => {
      const db = database.prisma;
      const metadata = {
        clampedStart: true,
        clampedEnd: false,
        gaps: [{ start: 'x', durationSeconds: 1.5 }],
      };
      const clip = {
        id: 'clip_crud',
        ownerId: 'user-1',
        sessionId: 'rs_1',
        communityId: null,
        roomName: 'room',
        channelId: 'c',
        requestedStart: at('2026-01-02T03:00:00.000Z'),
        requestedEnd: at('2026-01-02T03:01:00.000Z'),
        actualStart: at('2026-01-02T03:00:00.500Z'),
        actualEnd: at('2026-01-02T03:01:00.000Z'),
        durationSeconds: 59.5,
        sizeBytes: 6_000_000_123n,
        sha256: 'a'.repeat(64),
        mimeType: 'video/mp4',
        width: 2560,
        height: 1440,
        visibility: 'public',
        storageKey: 'clips/clip_crud.mp4',
        posterKey: 'clips/clip_crud.jpg',
        title: 'Nice play',
        metadata,
        createdAt: at('2026-01-02T03:02:00.000Z'),
      };
      await db.replayClip.create({ data: clip });
      expect(await db.replayClip.findUnique({ where: { id: 'clip_crud' } })).toEqual(clip);
      await db.replayClip.update({ where: { id: 'clip_crud' }, data: { visibility: 'private' } });
      await db.replayClip.delete({ where: { id: 'clip_crud' } });
      expect(await db.replayClip.count()).toBe(0);
    });

    it('CommunityReplayConfig: upsert, read, delete', async () => {
      const db = database.prisma;
      const now = at('2026-01-02T03:04:05.000Z');
      await db.communityReplayConfig.upsert({
        where: { communityId: 'c1' },
        create: { communityId: 'c1', enabled: true, maxConcurrent: 5, createdAt: now, updatedAt: now },
        update: {},
      });
      await db.communityReplayConfig.upsert({
        where: { communityId: 'c1' },
        create: { communityId: 'c1', enabled: true, maxConcurrent: 5, updatedAt: now },
        update: { enabled: false },
      });
      expect(await db.communityReplayConfig.findUnique({ where: { communityId: 'c1' } })).toMatchObject({
        communityId: 'c1',
        enabled: false,
        maxConcurrent: 5,
        createdAt: now,
      });
      await db.communityReplayConfig.delete({ where: { communityId: 'c1' } });
    });

    it('UserReplayQuota and ReplayQuotaReservation (composite id, cascade)', async () => {
      const db = database.prisma;
      const now = at('2026-01-02T03:04:05.000Z');
      await db.userReplayQuota.create({
        data: {
          userId: 'quota-user',
          limitBytes: 10_000_000_000n,
          defaultLimitBytes: 5_000_000_000n,
          usedBytes: 4_294_967_297n,
          reservedBytes: 100n,
          updatedAt: now,
          reservations: {
            create: [
              { id: 'r1', bytes: 100n, status: 'pending', createdAt: now },
              { id: 'r2', bytes: 7n, status: 'committed', actualBytes: 9n, createdAt: now, settledAt: now },
            ],
          },
        },
      });
      const quota = await db.userReplayQuota.findUnique({
        where: { userId: 'quota-user' },
        include: { reservations: { orderBy: { id: 'asc' } } },
      });
      expect(quota).toMatchObject({ usedBytes: 4_294_967_297n, limitBytes: 10_000_000_000n });
      expect(quota?.reservations.map((r) => [r.id, r.status, r.actualBytes])).toEqual([
        ['r1', 'pending', null],
        ['r2', 'committed', 9n],
      ]);
      expect(
        await db.replayQuotaReservation.findUnique({
          where: { userId_id: { userId: 'quota-user', id: 'r2' } },
        }),
      ).toMatchObject({ bytes: 7n, settledAt: now });
      // The reservations go with their quota row.
      await db.userReplayQuota.delete({ where: { userId: 'quota-user' } });
      expect(await db.replayQuotaReservation.count({ where: { userId: 'quota-user' } })).toBe(0);
    });
  });
}
