export {
  createPostgresClient,
  createSqliteClient,
  type PostgresClientOptions,
  type ReplayDatabaseClient,
} from './client.js';
export { type DatabaseProvider, type PostgresConnection, parsePostgresUrl } from './connection.js';
export {
  defaultMigrationsDir,
  loadMigrations,
  MIGRATIONS_TABLE,
  type MigrateOptions,
  type MigrateResult,
  type Migration,
  type MigrationPrismaClient,
  migrate,
  migrationChecksum,
  type RenderOptions,
  renderMigrations,
} from './migrate.js';
export { RACE_SAFETY_MIGRATION } from './schema-check.js';
export {
  createSeedFileRecords,
  type FileModelDelegate,
  type SeedFileRecords,
  type SeedFileRecordsOptions,
} from './seed-file-records.js';
export type { PrismaClipStore } from './stores/clip-store.js';
export type { PrismaCommunityConfigStore } from './stores/community-config-store.js';
export type { PrismaQuotaLedger } from './stores/quota-ledger.js';
export type { PrismaSessionStore } from './stores/session-store.js';
export {
  createPrismaStores,
  type PrismaStores,
  type PrismaStoresOptions,
  type ReplayPrismaClient,
} from './stores.js';
export {
  APP_FOREIGN_KEYS,
  type AppForeignKeys,
  type AppTable,
  REPLAY_MODELS,
  type ReplayModel,
  type ReplayTableNames,
} from './tables.js';
