import { readFileSync } from 'node:fs';
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
import { openPrismaMigrate } from './support/schema-engine.js';
import { FRAGMENT_MARK } from './support/schema-file.js';
import {
  APP_TABLES,
  createSeedAppDatabase,
  SEED_APP_TABLES,
  type SeedAppDatabase,
} from './support/seed-app.js';

const APP_INIT = '20250101000000_init';
const INIT = '20260101000000_livekit_replay';
const RACE = '20260101000100_livekit_replay_race_safety';
const DROP_NAME = '20260102000000_drop_what_prisma_does_not_know';
const NO_FILTER = { externalTables: [], externalEnums: [] };
const OUR_TABLES = Object.values(SEED_APP_TABLES);

/**
 * An existing app whose own Prisma Migrate created its tables (its first migration, deployed
 * through the engine, then its rows) adopts the fragment: `migrate dev` writes the migration
 * between its schema before and after pasting the fragment.
 */
async function appWithPrismaHistory(provider: 'postgresql' | 'sqlite', schema: string) {
  const app = await createSeedAppDatabase(provider, { empty: true });
  const engine = await openPrismaMigrate(app.adapterFactory(), schema);
  const history: Array<[string, string]> = [[APP_INIT, app.ddl]];
  expect(await engine.deploy(history, NO_FILTER)).toEqual([APP_INIT]);
  await app.exec(app.rows);
  const init = await engine.diff(schema.slice(0, schema.indexOf(FRAGMENT_MARK)), schema, NO_FILTER);
  return { app, engine, init, history };
}

/** The seed-like app's schema.prisma (its File model + the fragment with @@map), as generated. */
function seedAppSchemaText(provider: 'postgresql' | 'sqlite'): string {
  return readFileSync(new URL(`./generated/seed-app-${provider}.prisma`, import.meta.url), 'utf8');
}

/**
 * Our tables as the database describes them: columns (type, nullability, default), indexes
 * (unique, partial, columns), constraints. Independent of how the DDL was spelled.
 */
async function tableShape(app: SeedAppDatabase): Promise<string[]> {
  if (app.provider === 'postgresql') {
    const dump = await app.dump(OUR_TABLES, { rows: false });
    // Index definitions name the schema, which differs between the two databases.
    return dump
      .replace(/lkr_seed_[0-9a-f]+\./g, '')
      .split('\n')
      .sort();
  }
  const lines: string[] = [];
  for (const table of OUR_TABLES) {
    for (const c of await app.query(`SELECT * FROM pragma_table_info('${table}')`)) {
      lines.push(
        `${table} column ${c.name} ${c.type} notnull=${c.notnull} default=${c.dflt_value} pk=${c.pk}`,
      );
    }
    for (const i of await app.query(`SELECT * FROM pragma_index_list('${table}')`)) {
      const columns = (await app.query(`SELECT name FROM pragma_index_info('${i.name}')`)).map((r) => r.name);
      lines.push(
        `${table} index ${i.origin === 'pk' ? 'pk' : i.name} unique=${i.unique} partial=${i.partial} (${columns})`,
      );
    }
    for (const f of await app.query(`SELECT * FROM pragma_foreign_key_list('${table}')`)) {
      lines.push(`${table} fk ${f.from} -> ${f.table}.${f.to} ${f.on_delete}`);
    }
  }
  return lines.sort();
}

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
  // Path (b): the app's own `prisma migrate`, for real: Prisma's schema engine (WebAssembly,
  // through the app's driver adapter) writes the migration for the pasted fragment, as
  // `prisma migrate dev` does, and applies it as `prisma migrate deploy` does; the extra
  // migration is the output of `livekit-replay-prisma sql --only 0002_race_safety`.
  describe(`path (b): the app's own prisma migrate (${provider})`, () => {
    let app: SeedAppDatabase | undefined;
    afterAll(async () => {
      await app?.drop();
    });

    it('migrate dev + deploy create only our tables; the stores refuse to run until 0002_race_safety is deployed too', async () => {
      const schema = seedAppSchemaText(provider);
      const adopted = await appWithPrismaHistory(provider, schema);
      const { engine, init, history: appHistory } = adopted;
      app = adopted.app;
      const before = await app.dump();
      try {
        expect(init).toContain('CREATE TABLE "replay_sessions"');
        for (const table of APP_TABLES) expect(init).not.toContain(`"${table}"`);
        expect(await engine.deploy([...appHistory, [INIT, init]], NO_FILTER)).toEqual([INIT]);
        expect(await app.dump()).toBe(before);

        const client = app.openClient();
        const stores = createPrismaStores(client);
        const refusal = {
          code: 'CONFIG_INVALID',
          message: expect.stringMatching(
            /replay_sessions_one_live_per_user.*apply migration 0002_race_safety/,
          ),
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

        const race = await printedSql(provider, '0002_race_safety');
        expect(
          await engine.deploy(
            [
              [INIT, init],
              [RACE, race],
            ],
            NO_FILTER,
          ),
        ).toEqual([RACE]);
        expect(await app.dump()).toBe(before);
        // The same stores see it now (a failed check is not remembered).
        await expect(stores.ready()).resolves.toBeUndefined();
        expect((await stores.sessions.create(input)).status).toBe('starting');
        await expect(stores.sessions.create(newSessionInput({ userId: 'user_alice' }))).rejects.toMatchObject(
          {
            code: 'ALREADY_ACTIVE',
          },
        );
        // Prisma's history holds both; our runner was never involved.
        const history = await app.query('SELECT "migration_name" FROM "_prisma_migrations" ORDER BY 1');
        expect(history.map((row) => row.migration_name)).toEqual([APP_INIT, INIT, RACE]);
        expect(await tableExists(app, '_livekit_replay_migrations')).toBe(false);

        // A later migration that drops the index Prisma does not model: refused at start-up.
        const drop = 'DROP INDEX "replay_sessions_one_live_per_user";';
        expect(
          await engine.deploy(
            [
              [INIT, init],
              [RACE, race],
              [DROP_NAME, drop],
            ],
            NO_FILTER,
          ),
        ).toEqual([DROP_NAME]);
        await expect(createPrismaStores(client).ready()).rejects.toMatchObject(refusal);
      } finally {
        engine.close();
      }
    });

    it('our runner (path a) builds the same tables as prisma migrate plus 0002_race_safety (path b)', async () => {
      const viaRunner = await createSeedAppDatabase(provider);
      const {
        app: viaPrisma,
        engine,
        init,
        history: appHistory,
      } = await appWithPrismaHistory(provider, seedAppSchemaText(provider));
      try {
        await migrate({ url: viaRunner.url, provider, tables: SEED_APP_TABLES });
        const race = await printedSql(provider, '0002_race_safety');
        await engine.deploy([...appHistory, [INIT, init], [RACE, race]], NO_FILTER);
        const shape = await tableShape(viaRunner);
        expect(shape.join('\n')).toContain('replay_sessions_one_live_per_user');
        expect(await tableShape(viaPrisma)).toEqual(shape);
      } finally {
        engine.close();
        await viaRunner.drop();
        await viaPrisma.drop();
      }
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
