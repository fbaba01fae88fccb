-- livekit-replay 0001_init (SQLite): the tables of prisma/sqlite/schema.prisma, with CHECK
-- constraints on the status strings (SQLite cannot add them later). Applied by
-- `livekit-replay-prisma migrate` inside one transaction, with the table names configured
-- (quoted identifiers starting with a model name are renamed) and, on request, foreign keys
-- to the app's tables added inline. 0002_race_safety follows.

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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "startedAt" DATETIME,
    "endedAt" DATETIME,
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

CREATE TABLE "ReplayClip" (
    "id" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "communityId" TEXT,
    "roomName" TEXT NOT NULL,
    "channelId" TEXT,
    "requestedStart" DATETIME NOT NULL,
    "requestedEnd" DATETIME NOT NULL,
    "actualStart" DATETIME NOT NULL,
    "actualEnd" DATETIME NOT NULL,
    "durationSeconds" REAL NOT NULL,
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
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "ReplayClip_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "ReplayClip_visibility_check" CHECK ("visibility" IN ('private', 'public'))
);

CREATE INDEX "ReplayClip_ownerId_createdAt_id_idx" ON "ReplayClip"("ownerId", "createdAt", "id");
CREATE INDEX "ReplayClip_ownerId_visibility_createdAt_id_idx" ON "ReplayClip"("ownerId", "visibility", "createdAt", "id");
CREATE INDEX "ReplayClip_sessionId_idx" ON "ReplayClip"("sessionId");

CREATE TABLE "CommunityReplayConfig" (
    "communityId" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "maxConcurrent" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "CommunityReplayConfig_pkey" PRIMARY KEY ("communityId"),
    CONSTRAINT "CommunityReplayConfig_maxConcurrent_check" CHECK ("maxConcurrent" >= 0)
);

CREATE TABLE "UserReplayQuota" (
    "userId" TEXT NOT NULL,
    "limitBytes" BIGINT,
    "defaultLimitBytes" BIGINT NOT NULL DEFAULT 0,
    "usedBytes" BIGINT NOT NULL DEFAULT 0,
    "reservedBytes" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "UserReplayQuota_pkey" PRIMARY KEY ("userId"),
    CONSTRAINT "UserReplayQuota_bytes_check" CHECK ("usedBytes" >= 0 AND "reservedBytes" >= 0)
);

CREATE TABLE "ReplayQuotaReservation" (
    "userId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "actualBytes" BIGINT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "settledAt" DATETIME,
    CONSTRAINT "ReplayQuotaReservation_pkey" PRIMARY KEY ("userId", "id"),
    CONSTRAINT "ReplayQuotaReservation_userId_fkey" FOREIGN KEY ("userId") REFERENCES "UserReplayQuota" ("userId") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ReplayQuotaReservation_status_check" CHECK ("status" IN ('pending', 'committed', 'released'))
);

CREATE INDEX "ReplayQuotaReservation_userId_status_idx" ON "ReplayQuotaReservation"("userId", "status");
