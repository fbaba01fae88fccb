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
} from './migrate.js';
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
