-- livekit-replay 0002_race_safety (PostgreSQL): what Prisma's schema language cannot express and
-- the stores rely on. `createPrismaStores` refuses to run until it exists.
-- If you create the tables with `prisma migrate` (the fragment), add this file as a migration
-- of your own: `npx livekit-replay-prisma sql --provider postgresql --only 0002_race_safety`
-- prints it with your table names. Review later `prisma migrate dev` proposals: Prisma does not
-- know these objects and may offer to drop the index: keep it (start-up refuses without it).

-- One live replay buffer per user, enforced by the database across every app instance.
CREATE UNIQUE INDEX "EgressSession_one_live_per_user" ON "EgressSession"("userId") WHERE "status" IN ('starting', 'active');

-- Only known states and non-negative counters, whoever writes.
ALTER TABLE "EgressSession" ADD CONSTRAINT "EgressSession_status_check" CHECK ("status" IN ('starting', 'active', 'stopped', 'failed'));
ALTER TABLE "ReplayClip" ADD CONSTRAINT "ReplayClip_visibility_check" CHECK ("visibility" IN ('private', 'public'));
ALTER TABLE "CommunityReplayConfig" ADD CONSTRAINT "CommunityReplayConfig_maxConcurrent_check" CHECK ("maxConcurrent" >= 0);
ALTER TABLE "UserReplayQuota" ADD CONSTRAINT "UserReplayQuota_bytes_check" CHECK ("usedBytes" >= 0 AND "reservedBytes" >= 0);
ALTER TABLE "ReplayQuotaReservation" ADD CONSTRAINT "ReplayQuotaReservation_status_check" CHECK ("status" IN ('pending', 'committed', 'released'));

-- "C" collation on the clip id: listings break createdAt ties by id, byte order on every server.
ALTER TABLE "ReplayClip" ALTER COLUMN "id" SET DATA TYPE TEXT COLLATE "C";
