import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient as createLibsqlClient } from '@libsql/client';
import { PrismaLibSql } from '@prisma/adapter-libsql';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { DatabaseProvider } from '../../src/connection.js';
import { PrismaClient as SeedPostgresClient } from '../generated/seed-app-postgresql/client.js';
import { PrismaClient as SeedSqliteClient } from '../generated/seed-app-sqlite/client.js';
import { assertPostgresReachable, POSTGRES_URL, withSchema } from './databases.js';

/** What the seed-like app maps our models to (scripts/seed-app-schema.mjs writes the same @@map). */
export const SEED_APP_TABLES = {
  EgressSession: 'replay_sessions',
  ReplayClip: 'replay_clips',
  CommunityReplayConfig: 'replay_community_configs',
  UserReplayQuota: 'replay_user_quotas',
  ReplayQuotaReservation: 'replay_quota_reservations',
} as const;

/** The app's own tables: nothing of ours may change them. */
export const APP_TABLES = ['User', 'Community', 'Channel', 'File', 'EgressSession', 'ReplayClip'];

export const SEED_USERS = ['user_alice', 'user_bob'];
export const SEED_COMMUNITY = 'community_1';
export const SEED_CHANNEL = 'channel_voice';

// The seed's tables as its own Prisma migrations create them (trimmed to the columns that matter
// here), including its own EgressSession and ReplayClip, which our default names would hit.
const POSTGRES_DDL = `
CREATE TYPE "FileType" AS ENUM ('IMAGE', 'VIDEO', 'AUDIO', 'DOCUMENT', 'OTHER');
CREATE TYPE "ResourceType" AS ENUM ('USER_AVATAR', 'USER_BANNER', 'COMMUNITY_BANNER', 'COMMUNITY_AVATAR', 'MESSAGE_ATTACHMENT', 'CUSTOM_EMOJI', 'REPLAY_CLIP', 'SOUNDBOARD_SOUND');
CREATE TYPE "StorageType" AS ENUM ('LOCAL', 'S3', 'AZURE_BLOB');
CREATE TABLE "User" ("id" TEXT NOT NULL, "username" TEXT NOT NULL, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
CREATE TABLE "Community" ("id" TEXT NOT NULL, "name" TEXT NOT NULL, CONSTRAINT "Community_pkey" PRIMARY KEY ("id"));
CREATE TABLE "Channel" ("id" TEXT NOT NULL, "name" TEXT NOT NULL, "communityId" TEXT NOT NULL, CONSTRAINT "Channel_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "Channel_communityId_fkey" FOREIGN KEY ("communityId") REFERENCES "Community"("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE "File" ("id" TEXT NOT NULL, "filename" TEXT NOT NULL, "mimeType" TEXT NOT NULL, "fileType" "FileType" NOT NULL,
  "size" INTEGER NOT NULL, "checksum" TEXT NOT NULL, "uploadedById" TEXT, "uploadedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "deletedAt" TIMESTAMP(3), "resourceType" "ResourceType" NOT NULL, "fileUserId" TEXT, "fileCommunityId" TEXT, "fileMessageId" TEXT,
  "storageType" "StorageType" NOT NULL DEFAULT 'LOCAL', "storagePath" TEXT NOT NULL, "thumbnailPath" TEXT, CONSTRAINT "File_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "File_uploadedById_fkey" FOREIGN KEY ("uploadedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT "File_fileUserId_fkey" FOREIGN KEY ("fileUserId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX "File_uploadedById_idx" ON "File"("uploadedById");
CREATE TABLE "EgressSession" ("id" TEXT NOT NULL, "egressId" TEXT NOT NULL, "userId" TEXT NOT NULL, "roomName" TEXT NOT NULL, "channelId" TEXT NOT NULL,
  "segmentPath" TEXT NOT NULL, "status" TEXT NOT NULL, "error" TEXT, "startedAt" TIMESTAMP(3) NOT NULL, "endedAt" TIMESTAMP(3),
  "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL, CONSTRAINT "EgressSession_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "EgressSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE UNIQUE INDEX "EgressSession_egressId_key" ON "EgressSession"("egressId");
CREATE INDEX "EgressSession_userId_status_idx" ON "EgressSession"("userId", "status");
CREATE TABLE "ReplayClip" ("id" TEXT NOT NULL, "userId" TEXT NOT NULL, "fileId" TEXT NOT NULL, "channelId" TEXT, "durationSeconds" INTEGER NOT NULL,
  "isPublic" BOOLEAN NOT NULL DEFAULT false, "capturedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT "ReplayClip_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "ReplayClip_fileId_fkey" FOREIGN KEY ("fileId") REFERENCES "File"("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX "ReplayClip_userId_capturedAt_idx" ON "ReplayClip"("userId", "capturedAt");
`;

const SQLITE_DDL = `
CREATE TABLE "User" ("id" TEXT NOT NULL PRIMARY KEY, "username" TEXT NOT NULL, "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
CREATE TABLE "Community" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT NOT NULL);
CREATE TABLE "Channel" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "communityId" TEXT NOT NULL,
  CONSTRAINT "Channel_communityId_fkey" FOREIGN KEY ("communityId") REFERENCES "Community" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE "File" ("id" TEXT NOT NULL PRIMARY KEY, "filename" TEXT NOT NULL, "mimeType" TEXT NOT NULL, "fileType" TEXT NOT NULL,
  "size" INTEGER NOT NULL, "checksum" TEXT NOT NULL, "uploadedById" TEXT, "uploadedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "deletedAt" DATETIME, "resourceType" TEXT NOT NULL, "fileUserId" TEXT, "fileCommunityId" TEXT, "fileMessageId" TEXT,
  "storageType" TEXT NOT NULL DEFAULT 'LOCAL', "storagePath" TEXT NOT NULL, "thumbnailPath" TEXT,
  CONSTRAINT "File_uploadedById_fkey" FOREIGN KEY ("uploadedById") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT "File_fileUserId_fkey" FOREIGN KEY ("fileUserId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX "File_uploadedById_idx" ON "File"("uploadedById");
CREATE TABLE "EgressSession" ("id" TEXT NOT NULL PRIMARY KEY, "egressId" TEXT NOT NULL, "userId" TEXT NOT NULL, "roomName" TEXT NOT NULL,
  "channelId" TEXT NOT NULL, "segmentPath" TEXT NOT NULL, "status" TEXT NOT NULL, "error" TEXT, "startedAt" DATETIME NOT NULL, "endedAt" DATETIME,
  "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" DATETIME NOT NULL,
  CONSTRAINT "EgressSession_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE UNIQUE INDEX "EgressSession_egressId_key" ON "EgressSession"("egressId");
CREATE INDEX "EgressSession_userId_status_idx" ON "EgressSession"("userId", "status");
CREATE TABLE "ReplayClip" ("id" TEXT NOT NULL PRIMARY KEY, "userId" TEXT NOT NULL, "fileId" TEXT NOT NULL, "channelId" TEXT,
  "durationSeconds" INTEGER NOT NULL, "isPublic" BOOLEAN NOT NULL DEFAULT false, "capturedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT "ReplayClip_fileId_fkey" FOREIGN KEY ("fileId") REFERENCES "File" ("id") ON DELETE CASCADE ON UPDATE CASCADE);
CREATE INDEX "ReplayClip_userId_capturedAt_idx" ON "ReplayClip"("userId", "capturedAt");
`;

// Rows: two users, a community with a voice channel, an avatar and a clip of the seed's own.
const ROWS = `
INSERT INTO "User" ("id", "username") VALUES ('user_alice', 'alice'), ('user_bob', 'bob');
INSERT INTO "Community" ("id", "name") VALUES ('community_1', 'Gamers');
INSERT INTO "Channel" ("id", "name", "communityId") VALUES ('channel_voice', 'Voice', 'community_1');
INSERT INTO "File" ("id", "filename", "mimeType", "fileType", "size", "checksum", "uploadedById", "resourceType", "fileUserId", "storagePath")
  VALUES ('file_avatar', 'alice.png', 'image/png', 'IMAGE', 1234, 'abc', 'user_alice', 'USER_AVATAR', 'user_alice', 'avatars/alice.png'),
         ('file_old_clip', 'replay.mp4', 'video/mp4', 'VIDEO', 99999, 'def', 'user_bob', 'REPLAY_CLIP', 'user_bob', 'replays/old.mp4');
INSERT INTO "EgressSession" ("id", "egressId", "userId", "roomName", "channelId", "segmentPath", "status", "startedAt", "updatedAt")
  VALUES ('old_session', 'EG_old', 'user_bob', 'channel_voice', 'channel_voice', '/segments/old', 'stopped', '2026-01-01 10:00:00', '2026-01-01 10:30:00');
INSERT INTO "ReplayClip" ("id", "userId", "fileId", "channelId", "durationSeconds") VALUES ('old_clip', 'user_bob', 'file_old_clip', 'channel_voice', 60);
`;

export type SeedAppClient = SeedPostgresClient;

export interface SeedAppDatabase {
  provider: DatabaseProvider;
  url: string;
  /** Plain SQL ($1… placeholders on both databases), bypassing Prisma. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a script of several statements (a migration file), as `prisma migrate deploy` would. */
  exec(sql: string): Promise<void>;
  /** Tables' structure (columns, indexes, constraints, enums) and, unless `rows: false`, every row. */
  dump(tables?: readonly string[], options?: { rows?: boolean }): Promise<string>;
  /** The DDL of the app's tables (its own first Prisma migration). */
  ddl: string;
  /** The app's rows (INSERTs), for a database created with `{ empty: true }`. */
  rows: string;
  /** A driver adapter factory on this database (what the app's Prisma config would use). */
  adapterFactory(): PrismaPg | PrismaLibSql;
  /** The seed-like app's own Prisma client (its File model + our fragment, renamed tables). */
  openClient(): SeedAppClient;
  drop(): Promise<void>;
}

function splitSql(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((statement) => statement.trim())
    .filter(Boolean);
}

const POSTGRES_STRUCTURE = `
SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name || ' ' || is_nullable || ' ' || COALESCE(column_default, '') AS item
  FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1)
UNION ALL SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY($1)
UNION ALL SELECT 'constraint', conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
  WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text = ANY(ARRAY(SELECT quote_ident(t) FROM unnest($1::text[]) t))
UNION ALL SELECT 'enum', t.typname || '.' || e.enumlabel || '.' || e.enumsortorder FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
  WHERE t.typnamespace = current_schema()::regnamespace
ORDER BY 1, 2`;

async function dumpWith(
  provider: DatabaseProvider,
  query: SeedAppDatabase['query'],
  tables: readonly string[] = APP_TABLES,
  options: { rows?: boolean } = {},
): Promise<string> {
  const lines: string[] = [];
  if (provider === 'postgresql') {
    for (const row of await query(POSTGRES_STRUCTURE, [tables])) lines.push(`${row.kind}: ${row.item}`);
  } else {
    const names = tables.map((t) => `'${t}'`).join(', ');
    for (const row of await query(
      `SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN (${names}) ORDER BY type, name`,
    )) {
      lines.push(`${row.type} ${row.name}: ${row.sql}`);
    }
  }
  for (const table of options.rows === false ? [] : tables) {
    for (const row of await query(`SELECT * FROM "${table}" ORDER BY "id"`)) {
      lines.push(`${table}: ${JSON.stringify(row)}`);
    }
  }
  return lines.join('\n');
}

/**
 * A fresh PostgreSQL schema or SQLite file holding the seed-like app's tables and rows, or
 * nothing yet with `{ empty: true }` (the test then creates them through Prisma Migrate).
 */
export async function createSeedAppDatabase(
  provider: DatabaseProvider,
  options: { empty?: boolean } = {},
): Promise<SeedAppDatabase> {
  const clients: SeedAppClient[] = [];
  const disconnect = () => Promise.all(clients.map((client) => client.$disconnect().catch(() => {})));
  if (provider === 'postgresql') {
    await assertPostgresReachable();
    const schema = `lkr_seed_${randomBytes(6).toString('hex')}`;
    const pool = new pg.Pool({
      connectionString: POSTGRES_URL,
      options: `-c search_path="${schema}"`,
      max: 2,
    });
    const query: SeedAppDatabase['query'] = async (sql, params = []) => (await pool.query(sql, params)).rows;
    await pool.query(`CREATE SCHEMA "${schema}"`);
    if (!options.empty) for (const statement of splitSql(POSTGRES_DDL + ROWS)) await query(statement);
    return {
      provider,
      url: withSchema(POSTGRES_URL, schema),
      ddl: POSTGRES_DDL,
      rows: ROWS,
      query,
      exec: async (sql) => {
        await pool.query(sql);
      },
      dump: (tables, options) => dumpWith(provider, query, tables, options),
      adapterFactory: () =>
        new PrismaPg(
          { connectionString: POSTGRES_URL, options: `-c search_path="${schema}"`, max: 4 },
          { schema },
        ),
      openClient() {
        const adapter = new PrismaPg(
          { connectionString: POSTGRES_URL, options: `-c search_path="${schema}"`, max: 4 },
          { schema },
        );
        const client = new SeedPostgresClient({ adapter });
        clients.push(client);
        return client;
      },
      async drop() {
        await disconnect();
        try {
          await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await pool.end();
        }
      },
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'lkr-seed-'));
  const url = `file:${path.join(dir, 'app.db')}`;
  const raw = createLibsqlClient({ url });
  const query: SeedAppDatabase['query'] = async (sql, params = []) =>
    (
      await raw.execute({ sql: sql.replace(/\$(\d+)/g, '?$1'), args: params as (string | number | null)[] })
    ).rows.map((row) => ({ ...row }));
  if (!options.empty) await raw.executeMultiple(SQLITE_DDL + ROWS);
  return {
    provider,
    url,
    ddl: SQLITE_DDL,
    rows: ROWS,
    query,
    exec: (sql) => raw.executeMultiple(sql),
    dump: (tables, options) => dumpWith(provider, query, tables, options),
    adapterFactory: () => new PrismaLibSql({ url }),
    openClient() {
      const client = new SeedSqliteClient({ adapter: new PrismaLibSql({ url }) });
      clients.push(client as unknown as SeedAppClient);
      return client as unknown as SeedAppClient;
    },
    async drop() {
      await disconnect();
      raw.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
