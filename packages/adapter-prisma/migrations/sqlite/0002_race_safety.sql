-- livekit-replay 0002_race_safety (SQLite): what Prisma's schema language cannot express and
-- the stores rely on. `createPrismaStores` refuses to run until it exists.
-- If you create the tables with `prisma migrate` (the fragment), add this file as a migration
-- of your own: `npx livekit-replay-prisma sql --provider sqlite --only 0002_race_safety`
-- prints it with your table names.

-- One live replay buffer per user, enforced by the database across every app instance.
CREATE UNIQUE INDEX "EgressSession_one_live_per_user" ON "EgressSession"("userId") WHERE "status" IN ('starting', 'active');
