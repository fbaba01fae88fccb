import {
  newSessionInput,
  runClipStoreContract,
  runCommunityConfigStoreContract,
  runQuotaLedgerContract,
  runSessionStoreContract,
} from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { createPrismaStores, migrate, type PrismaStores } from '../src/index.js';
import { type RawReader, readers } from './support/databases.js';
import { createSeedAppDatabase, SEED_APP_TABLES, type SeedAppDatabase } from './support/seed-app.js';

const TABLES_ARG = Object.entries(SEED_APP_TABLES)
  .map(([model, table]) => `${model}=${table}`)
  .join(',');

/** What `livekit-replay-prisma sql` prints for this provider, one migration. */
async function printedSql(provider: 'postgresql' | 'sqlite', only: string): Promise<string> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ['sql', '--provider', provider, '--only', only, '--tables', TABLES_ARG],
    (line) => out.push(line),
    (line) => err.push(line),
  );
  expect({ code, err }).toEqual({ code: 0, err: [] });
  return out.join('\n');
}

const tableExists = (app: SeedAppDatabase, table: string) =>
  app
    .query(
      app.provider === 'postgresql'
        ? 'SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1'
        : `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1`,
      [table],
    )
    .then((rows) => rows.length > 0);

for (const provider of ['postgresql', 'sqlite'] as const) {
  // Path (b): the app's own `prisma migrate` creates the tables from the copied fragment (the
  // schema engine cannot be downloaded here, so the test runs the SQL the fragment implies,
  // 0001_init as printed by our CLI, outside our runner), plus one extra migration of its own
  // with the output of `livekit-replay-prisma sql --only 0002_race_safety`.
  describe(`path (b): the app's own prisma migrate (${provider})`, () => {
    let app: SeedAppDatabase;
    beforeAll(async () => {
      app = await createSeedAppDatabase(provider);
    });
    afterAll(async () => {
      await app?.drop();
    });

    it('without the race-safety migration the stores refuse to run, naming it; with it they run', async () => {
      const before = await app.dump();
      await app.exec(await printedSql(provider, '0001_init'));
      expect(await app.dump()).toBe(before);
      const client = app.openClient();
      const stores = createPrismaStores(client);
      const refusal = {
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/replay_sessions_one_live_per_user.*apply migration 0002_race_safety/),
        details: { migration: '0002_race_safety', missing: expect.any(Array) },
      };
      await expect(stores.ready()).rejects.toMatchObject(refusal);
      const input = newSessionInput({ userId: 'user_alice' });
      await expect(stores.sessions.create(input)).rejects.toMatchObject(refusal);
      expect(await readers(app.query, SEED_APP_TABLES).getSession(input.id)).toBeNull();
      if (provider === 'postgresql') {
        const error = await stores.ready().catch((e: { details: { missing: string[] } }) => e);
        expect((error as { details: { missing: string[] } }).details.missing).toEqual([
          'partial unique index "replay_sessions_one_live_per_user"',
          'CHECK constraint "replay_sessions_status_check"',
          'CHECK constraint "replay_clips_visibility_check"',
          'CHECK constraint "replay_community_configs_maxConcurrent_check"',
          'CHECK constraint "replay_user_quotas_bytes_check"',
          'CHECK constraint "replay_quota_reservations_status_check"',
          'COLLATE "C" on "replay_clips"."id"',
        ]);
      }

      await app.exec(await printedSql(provider, '0002_race_safety'));
      expect(await app.dump()).toBe(before);
      // The same stores see it now (a failed check is not remembered).
      await expect(stores.ready()).resolves.toBeUndefined();
      expect((await stores.sessions.create(input)).status).toBe('starting');
      await expect(stores.sessions.create(newSessionInput({ userId: 'user_alice' }))).rejects.toMatchObject({
        code: 'ALREADY_ACTIVE',
      });
      // Our runner was never involved.
      expect(await tableExists(app, '_livekit_replay_migrations')).toBe(false);

      // A later `prisma migrate dev` that drops the index it does not know: refused at start-up.
      await app.exec('DROP INDEX "replay_sessions_one_live_per_user"');
      await expect(createPrismaStores(client).ready()).rejects.toMatchObject(refusal);
    });

    it('tables that do not exist at all are named, with the migrations to apply', async () => {
      const empty = await createSeedAppDatabase(provider);
      try {
        await expect(createPrismaStores(empty.openClient()).ready()).rejects.toMatchObject({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('"replay_sessions"'),
          details: { migration: '0001_init' },
        });
      } finally {
        await empty.drop();
      }
    });
  });

  // Every contract suite on renamed tables, through the seed-like app's own generated client.
  describe(`contract suites on renamed tables (${provider})`, () => {
    let app: SeedAppDatabase;
    let stores: PrismaStores;
    beforeAll(async () => {
      app = await createSeedAppDatabase(provider);
      await migrate({ url: app.url, provider, tables: SEED_APP_TABLES });
      stores = createPrismaStores(app.openClient());
      await stores.ready();
    });
    afterAll(async () => {
      await app?.drop();
    });
    const raw = new Proxy({} as RawReader, {
      get:
        (_target, key) =>
        (...args: unknown[]) =>
          (readers(app.query, SEED_APP_TABLES)[key as keyof RawReader] as (...a: unknown[]) => unknown)(
            ...args,
          ),
    });
    const label = `prisma, renamed tables (${provider})`;
    runSessionStoreContract({ name: label, create: () => stores.sessions, raw });
    runClipStoreContract({ name: label, create: () => stores.clips, raw });
    runQuotaLedgerContract({ name: label, create: () => stores.quotas, raw });
    runCommunityConfigStoreContract({ name: label, create: () => stores.communities, raw });
  });
}
