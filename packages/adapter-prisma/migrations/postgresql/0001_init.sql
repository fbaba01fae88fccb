-- livekit-replay 0001_init (PostgreSQL): the tables of prisma/schema.prisma plus the
-- constraints Prisma cannot express. Applied by `livekit-replay-prisma migrate`, inside one
-- transaction, into the connection's current schema (search_path).

CREATE TYPE "FileResourceType" AS ENUM ('REPLAY_CLIP', 'OTHER');

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
    CONSTRAINT "EgressSession_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "EgressSession_status_check" CHECK ("status" IN ('starting', 'active', 'stopped', 'failed'))
);

CREATE UNIQUE INDEX "EgressSession_egressId_key" ON "EgressSession"("egressId");
CREATE INDEX "EgressSession_userId_status_idx" ON "EgressSession"("userId", "status");
CREATE INDEX "EgressSession_communityId_status_idx" ON "EgressSession"("communityId", "status");
CREATE INDEX "EgressSession_status_createdAt_idx" ON "EgressSession"("status", "createdAt");
CREATE INDEX "EgressSession_status_endedAt_idx" ON "EgressSession"("status", "endedAt");
-- One live replay buffer per user, enforced by the database across every app instance.
CREATE UNIQUE INDEX "EgressSession_one_live_per_user" ON "EgressSession"("userId") WHERE "status" IN ('starting', 'active');

-- "C" collation on the id: listings break createdAt ties by id, byte order on every server.
CREATE TABLE "ReplayClip" (
    "id" TEXT COLLATE "C" NOT NULL,
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
    "fileId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "ReplayClip_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ReplayClip_visibility_check" CHECK ("visibility" IN ('private', 'public'))
);

CREATE UNIQUE INDEX "ReplayClip_fileId_key" ON "ReplayClip"("fileId");
CREATE INDEX "ReplayClip_ownerId_createdAt_id_idx" ON "ReplayClip"("ownerId", "createdAt", "id");
CREATE INDEX "ReplayClip_ownerId_visibility_createdAt_id_idx" ON "ReplayClip"("ownerId", "visibility", "createdAt", "id");
CREATE INDEX "ReplayClip_sessionId_idx" ON "ReplayClip"("sessionId");

CREATE TABLE "CommunityReplayConfig" (
    "communityId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "maxConcurrent" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "CommunityReplayConfig_pkey" PRIMARY KEY ("communityId"),
    CONSTRAINT "CommunityReplayConfig_maxConcurrent_check" CHECK ("maxConcurrent" >= 0)
);

CREATE TABLE "UserReplayQuota" (
    "userId" TEXT NOT NULL,
    "limitBytes" BIGINT,
    "defaultLimitBytes" BIGINT NOT NULL DEFAULT 0,
    "usedBytes" BIGINT NOT NULL DEFAULT 0,
    "reservedBytes" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "UserReplayQuota_pkey" PRIMARY KEY ("userId"),
    CONSTRAINT "UserReplayQuota_bytes_check" CHECK ("usedBytes" >= 0 AND "reservedBytes" >= 0)
);

CREATE TABLE "ReplayQuotaReservation" (
    "userId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "actualBytes" BIGINT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settledAt" TIMESTAMP(3),
    CONSTRAINT "ReplayQuotaReservation_pkey" PRIMARY KEY ("userId", "id"),
    CONSTRAINT "ReplayQuotaReservation_status_check" CHECK ("status" IN ('pending', 'committed', 'released'))
);

CREATE INDEX "ReplayQuotaReservation_userId_status_idx" ON "ReplayQuotaReservation"("userId", "status");

CREATE TABLE "File" (
    "id" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "size" BIGINT NOT NULL,
    "checksum" TEXT,
    "resourceType" "FileResourceType" NOT NULL,
    "storagePath" TEXT NOT NULL,
    "uploadedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "File_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "File_uploadedById_resourceType_idx" ON "File"("uploadedById", "resourceType");

ALTER TABLE "ReplayClip" ADD CONSTRAINT "ReplayClip_fileId_fkey" FOREIGN KEY ("fileId") REFERENCES "File"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "ReplayQuotaReservation" ADD CONSTRAINT "ReplayQuotaReservation_userId_fkey" FOREIGN KEY ("userId") REFERENCES "UserReplayQuota"("userId") ON DELETE CASCADE ON UPDATE CASCADE;
