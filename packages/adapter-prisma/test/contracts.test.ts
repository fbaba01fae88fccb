import {
  runClipStoreContract,
  runCommunityConfigStoreContract,
  runQuotaLedgerContract,
  runSessionStoreContract,
} from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe } from 'vitest';
import { createPrismaStores, type PrismaStores } from '../src/index.js';
import { DATABASES, type RawReader, type TestDatabase } from './support/databases.js';

// The shared contract suites, on the real PostgreSQL (own schema) and on a SQLite file.
for (const { name, create } of DATABASES) {
  describe(`prisma (${name})`, () => {
    let database: TestDatabase;
    let stores: PrismaStores;
    beforeAll(async () => {
      database = await create();
      stores = createPrismaStores(database.prisma);
    });
    afterAll(async () => {
      await database?.drop();
    });
    // The suites read `raw` when they register, before beforeAll ran: hand them a forwarder.
    const raw = new Proxy({} as RawReader, {
      get:
        (_target, key) =>
        (...args: unknown[]) =>
          (database.raw[key as keyof RawReader] as (...a: unknown[]) => unknown)(...args),
    });
    const label = `prisma (${name})`;
    runSessionStoreContract({ name: label, create: () => stores.sessions, raw });
    runClipStoreContract({ name: label, create: () => stores.clips, raw });
    runQuotaLedgerContract({ name: label, create: () => stores.quotas, raw });
    runCommunityConfigStoreContract({ name: label, create: () => stores.communities, raw });
  });
}
