import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient as createLibsqlClient } from '@libsql/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { openPostgresClient, openSqliteClient } from '../src/client.js';
import type { DatabaseProvider } from '../src/connection.js';
import { defaultMigrationsDir, loadMigrations, migrate, splitStatements } from '../src/migrate.js';
import { assertPostgresReachable, POSTGRES_URL, withSchema } from './support/databases.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['0001_init', '0002_race_safety'];

/** A fresh, empty database for one test, with a plain SQL reader. */
interface EmptyDatabase {
  url: string;
  query(sql: string): Promise<Record<string, unknown>[]>;
  drop(): Promise<void>;
}

async function emptyPostgres(): Promise<EmptyDatabase> {
  const schema = `lkr_mig_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, options: `-c search_path="${schema}"`, max: 1 });
  return {
    url: withSchema(POSTGRES_URL, schema),
    query: async (sql) => (await pool.query(sql)).rows,
    async drop() {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

async function emptySqlite(): Promise<EmptyDatabase> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lkr-mig-'));
  const url = `file:${path.join(dir, 'db.sqlite')}`;
  const client = createLibsqlClient({ url });
  return {
    url,
    query: async (sql) => (await client.execute(sql)).rows.map((row) => ({ ...row })),
    async drop() {
      client.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const EMPTY: Record<DatabaseProvider, () => Promise<EmptyDatabase>> = {
  postgresql: emptyPostgres,
  sqlite: emptySqlite,
};

const tableNames = (db: EmptyDatabase, provider: DatabaseProvider) =>
  db
    .query(
      provider === 'postgresql'
        ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()'
        : "SELECT name FROM sqlite_master WHERE type = 'table'",
    )
    .then((rows) => rows.map((row) => String(row.name)).sort());

/** Copies this package's migrations for `provider` into a temp dir, plus `extra` files. */
async function migrationsCopy(provider: DatabaseProvider, extra: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'lkr-mig-files-'));
  await cp(defaultMigrationsDir(provider), dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) await writeFile(path.join(dir, name), sql);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/bin.ts', ...args], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env },
      timeout: 120_000,
      killSignal: 'SIGKILL', // a hung CLI never outlives the test
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  await assertPostgresReachable();
});

describe('migration files', () => {
  it('ships the same migration names for both databases, each split cleanly into statements', async () => {
    const postgres = await loadMigrations('postgresql');
    const sqlite = await loadMigrations('sqlite');
    expect(postgres.map((m) => m.name)).toEqual(sqlite.map((m) => m.name));
    expect(postgres.map((m) => m.name)).toEqual(['0001_init', '0002_race_safety']);
    for (const migration of [...postgres, ...sqlite]) {
      // Prisma's driver-adapter engine splits a migration on ";" (comments included): path (b)
      // runs these files through it, so no comment may hold one.
      for (const line of migration.sql.split('\n')) {
        if (line.trimStart().startsWith('--')) expect(line).not.toContain(';');
      }
      const statements = splitStatements(migration.sql);
      expect(statements.length).toBeGreaterThan(migration.name === '0001_init' ? 5 : 0);
      for (const statement of statements) expect(statement).toMatch(/^(CREATE|ALTER) /);
    }
  });
});

for (const provider of ['postgresql', 'sqlite'] as const) {
  describe(`migrate (${provider})`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    const fresh = async () => {
      const db = await EMPTY[provider]();
      cleanups.push(db.drop);
      return db;
    };

    it('applies every migration once, records name and checksum, then reports them as applied', async () => {
      const db = await fresh();
      const first = await migrate({ url: db.url, provider });
      expect(first).toEqual({ provider, applied: ALL, alreadyApplied: [] });
      const second = await migrate({ url: db.url });
      expect(second).toEqual({ provider, applied: [], alreadyApplied: ALL });
      const [row] = await db.query(
        `SELECT "name", "checksum", "applied_at" FROM "_livekit_replay_migrations" WHERE "name" = '0001_init'`,
      );
      const [shipped] = await loadMigrations(provider);
      expect(row).toMatchObject({ name: '0001_init', checksum: shipped!.checksum });
      expect(row?.applied_at).toBeTruthy();
      expect(await tableNames(db, provider)).toContain('EgressSession');
    });

    it('refuses to run when an applied migration file changed', async () => {
      const db = await fresh();
      await migrate({ url: db.url, provider });
      const files = await migrationsCopy(provider);
      cleanups.push(files.remove);
      const file = path.join(files.dir, '0001_init.sql');
      await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited after it ran\n`);
      await expect(migrate({ url: db.url, provider, migrationsDir: files.dir })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringMatching(/0001_init.*different checksum/),
      });
    });

    it('refuses a database that has migrations this package does not know', async () => {
      const db = await fresh();
      await migrate({ url: db.url, provider });
      await db.query(
        `INSERT INTO "_livekit_replay_migrations" ("name", "checksum") VALUES ('9999_future', 'x')`,
      );
      await expect(migrate({ url: db.url, provider })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('9999_future'),
      });
    });

    it('rolls a failing migration back whole and records nothing for it', async () => {
      const db = await fresh();
      const files = await migrationsCopy(provider, {
        '0003_broken.sql':
          'CREATE TABLE "half_done" ("id" INTEGER);\nINSERT INTO "no_such_table" VALUES (1);\n',
      });
      cleanups.push(files.remove);
      await expect(migrate({ url: db.url, provider, migrationsDir: files.dir })).rejects.toMatchObject({
        code: 'STORAGE_ERROR',
        message: expect.stringContaining('0003_broken'),
      });
      const tables = await tableNames(db, provider);
      expect(tables).toContain('EgressSession');
      expect(tables).not.toContain('half_done');
      const names = (await db.query('SELECT "name" FROM "_livekit_replay_migrations"')).map((r) => r.name);
      expect(names.sort()).toEqual(ALL);
    });

    it('lets parallel runners race: each migration is applied exactly once', async () => {
      const db = await fresh();
      const results = await Promise.all(Array.from({ length: 4 }, () => migrate({ url: db.url, provider })));
      expect(results.flatMap((result) => result.applied).sort()).toEqual(ALL);
      expect(results.flatMap((result) => result.alreadyApplied)).toHaveLength(3 * ALL.length);
    });

    it('runs through an existing PrismaClient too', async () => {
      const db = await fresh();
      if (provider === 'postgresql') {
        // The Prisma path migrates into the connection's search_path; it does not create schemas.
        const schema = new URL(db.url).searchParams.get('schema')!;
        await migrate({
          url: withSchema(POSTGRES_URL, schema),
          provider,
          migrationsDir: await emptyDir(cleanups),
        });
      }
      const prisma = provider === 'postgresql' ? openPostgresClient(db.url) : openSqliteClient(db.url);
      try {
        expect(await migrate({ prisma, provider })).toEqual({ provider, applied: ALL, alreadyApplied: [] });
        expect(await migrate({ prisma, provider })).toMatchObject({ applied: [], alreadyApplied: ALL });
        // The runner's table is shared with the URL path: it sees the same history.
        expect(await migrate({ url: db.url, provider })).toMatchObject({ applied: [] });
        expect(await (prisma as ReturnType<typeof openPostgresClient>).egressSession.count()).toBe(0);
      } finally {
        await prisma.$disconnect();
      }
    });
  });
}

async function emptyDir(cleanups: Array<() => Promise<void>>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lkr-mig-none-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('CLI: livekit-replay-prisma migrate', () => {
  it('migrates from --url and from DATABASE_URL (provider guessed), and explains usage errors', async () => {
    const postgres = await emptyPostgres();
    const sqlite = await emptySqlite();
    try {
      const ok = await runCli(['migrate', '--provider', 'postgresql', '--url', postgres.url]);
      expect(ok.stderr).toBe('');
      expect(ok).toMatchObject({ code: 0 });
      expect(ok.stdout).toContain('applied 0001_init');
      expect(await tableNames(postgres, 'postgresql')).toContain('ReplayClip');
      const fromEnv = await runCli(['migrate'], { DATABASE_URL: sqlite.url });
      expect(fromEnv.code).toBe(0);
      expect(fromEnv.stdout).toContain('applied 0001_init');
      expect(await tableNames(sqlite, 'sqlite')).toContain('ReplayClip');
      const bad = await runCli(['migrate', '--provider', 'mysql', '--url', sqlite.url]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--provider must be postgresql or sqlite');
    } finally {
      await postgres.drop();
      await sqlite.drop();
    }
  });
});

describe('migrate: configuration errors', () => {
  it('needs a database and a provider', async () => {
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    try {
      await expect(migrate({ provider: 'sqlite' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(migrate({ url: 'mysql://x' })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  });

  it('reports an unreachable PostgreSQL as STORAGE_ERROR with the driver error as cause', async () => {
    const error = await migrate({
      url: 'postgresql://postgres@127.0.0.1:1/test',
      provider: 'postgresql',
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORAGE_ERROR' });
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(
      migrate({ url: 'postgresql://postgres@127.0.0.1:5432/test?schema=a";drop', provider: 'postgresql' }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('CLI: livekit-replay-prisma sql', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      args,
      (line) => out.push(line),
      (line) => err.push(line),
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('prints the migrations with the table names and foreign keys asked for', async () => {
    const printed = await run([
      'sql',
      '--provider',
      'postgresql',
      '--tables',
      'EgressSession=replay_sessions',
      '--foreign-keys',
      'users=app_users.uid',
    ]);
    expect(printed.code).toBe(0);
    expect(printed.out).toContain('CREATE TABLE "replay_sessions"');
    expect(printed.out).toContain(
      'CREATE UNIQUE INDEX "replay_sessions_one_live_per_user" ON "replay_sessions"',
    );
    expect(printed.out).toContain(
      'ALTER TABLE "replay_sessions" ADD CONSTRAINT "replay_sessions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "app_users" ("uid") ON DELETE CASCADE',
    );
    expect(printed.out).not.toContain('"EgressSession"');
    const only = await run(['sql', '--provider', 'sqlite', '--only', '0002_race_safety']);
    expect(only.out).toMatch(/^-- livekit-replay 0002_race_safety\n/);
    expect(only.out).not.toContain('CREATE TABLE');
  });

  it('refuses usage mistakes (2) and unsafe names (1, CONFIG_INVALID)', async () => {
    expect((await run(['sql'])).code).toBe(2);
    expect((await run(['sql', '--provider', 'sqlite', '--only', '0009_nope'])).code).toBe(2);
    expect((await run(['sql', '--provider', 'sqlite', '--tables', 'EgressSession'])).code).toBe(2);
    const unsafe = await run(['sql', '--provider', 'sqlite', '--tables', 'EgressSession=a"b']);
    expect(unsafe).toMatchObject({ code: 1, err: expect.stringContaining('CONFIG_INVALID') });
    const unknown = await run(['sql', '--provider', 'sqlite', '--foreign-keys', 'teams=Team']);
    expect(unknown).toMatchObject({ code: 1, err: expect.stringContaining('unknown target "teams"') });
  });
});
