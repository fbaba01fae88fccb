-- livekit-replay 0001_init (PostgreSQL): the tables of prisma/schema.prisma, as `prisma migrate`
-- creates them from the fragment. Applied by `livekit-replay-prisma migrate` inside one
-- transaction, into the connection's current schema (search_path), with the table names
-- configured (quoted identifiers starting with a model name are renamed) and, on request,
-- foreign keys to the app's tables. 0002_race_safety adds what Prisma cannot express.

CREATE TABLE "EgressSession" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "roomName" TEXT NOT NULL,
    "videoTrackId" TEXT NOT NULL,
    "audioTrackId" TEXT,
    "communityId" TEXT,
    "channelId" TEXT,
    "quality" TEXT NOT NULL,
    "egressId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'starting',
    "segmentDir" TEXT NOT NULL,
    "filenamePrefix" TEXT NOT NULL,
    "playlistName" TEXT NOT NULL,
    "livePlaylistName" TEXT NOT NULL,
    "segmentNaming" TEXT NOT NULL,
    "segmentDurationSeconds" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "endReason" TEXT,
    "error" TEXT,
    "missedSightings" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "EgressSession_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "EgressSession_egressId_key" ON "EgressSession"("egressId");
CREATE INDEX "EgressSession_userId_status_idx" ON "EgressSession"("userId", "status");
CREATE INDEX "EgressSession_communityId_status_idx" ON "EgressSession"("communityId", "status");
CREATE INDEX "EgressSession_status_createdAt_idx" ON "EgressSession"("status", "createdAt");
CREATE INDEX "EgressSession_status_endedAt_idx" ON "EgressSession"("status", "endedAt");

CREATE TABLE "ReplayClip" (
    "id" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "communityId" TEXT,
    "roomName" TEXT NOT NULL,
    "channelId" TEXT,
    "requestedStart" TIMESTAMP(3) NOT NULL,
    "requestedEnd" TIMESTAMP(3) NOT NULL,
    "actualStart" TIMESTAMP(3) NOT NULL,
    "actualEnd" TIMESTAMP(3) NOT NULL,
    "durationSeconds" DOUBLE PRECISION NOT NULL,
    "sizeBytes" BIGINT NOT NULL,
    "sha256" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "visibility" TEXT NOT NULL DEFAULT 'private',
    "storageKey" TEXT NOT NULL,
    "posterKey" TEXT,
    "title" TEXT,
    "metadata" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ReplayClip_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "ReplayClip_ownerId_createdAt_id_idx" ON "ReplayClip"("ownerId", "createdAt", "id");
CREATE INDEX "ReplayClip_ownerId_visibility_createdAt_id_idx" ON "ReplayClip"("ownerId", "visibility", "createdAt", "id");
CREATE INDEX "ReplayClip_sessionId_idx" ON "ReplayClip"("sessionId");

CREATE TABLE "CommunityReplayConfig" (
    "communityId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "maxConcurrent" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "CommunityReplayConfig_pkey" PRIMARY KEY ("communityId")
);

CREATE TABLE "UserReplayQuota" (
    "userId" TEXT NOT NULL,
    "limitBytes" BIGINT,
    "defaultLimitBytes" BIGINT NOT NULL DEFAULT 0,
    "usedBytes" BIGINT NOT NULL DEFAULT 0,
    "reservedBytes" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "UserReplayQuota_pkey" PRIMARY KEY ("userId")
);

CREATE TABLE "ReplayQuotaReservation" (
    "userId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "actualBytes" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settledAt" TIMESTAMP(3),
    CONSTRAINT "ReplayQuotaReservation_pkey" PRIMARY KEY ("userId", "id")
);

CREATE INDEX "ReplayQuotaReservation_userId_status_idx" ON "ReplayQuotaReservation"("userId", "status");

ALTER TABLE "ReplayQuotaReservation" ADD CONSTRAINT "ReplayQuotaReservation_userId_fkey" FOREIGN KEY ("userId") REFERENCES "UserReplayQuota"("userId") ON DELETE CASCADE ON UPDATE CASCADE;
