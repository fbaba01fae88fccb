// Generates this package's private Prisma clients (PostgreSQL and SQLite) into src/generated.
// `--if-stale` skips the work when the schemas and the Prisma version match the last run
// (the test setup calls it that way).
//
// Prisma 7's CLI wants the schema-engine binary only for migrate/db push; `generate` runs
// without it, so point it at a no-op when none is configured (it may not be downloadable).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { seedAppSchema } from './seed-app-schema.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');
// The package's own clients, then the tests' client of a seed-like app (its File model plus the
// fragment with every table renamed), one per database.
mkdirSync(`${root}test/generated`, { recursive: true });
for (const provider of ['postgresql', 'sqlite']) {
  const schema = seedAppSchema(`${root}prisma/schema.prisma`, provider, `./seed-app-${provider}`);
  const file = `${root}test/generated/seed-app-${provider}.prisma`;
  if (!existsSync(file) || readFileSync(file, 'utf8') !== schema) writeFileSync(file, schema);
}
const schemas = [
  'prisma/schema.prisma',
  'prisma/sqlite/schema.prisma',
  'test/generated/seed-app-postgresql.prisma',
  'test/generated/seed-app-sqlite.prisma',
];
const stampFile = `${root}src/generated/.stamp`;

const hash = createHash('sha256');
hash.update(require('prisma/package.json').version);
for (const schema of schemas) hash.update(readFileSync(`${root}${schema}`));
const stamp = hash.digest('hex');

const fresh =
  existsSync(stampFile) &&
  readFileSync(stampFile, 'utf8') === stamp &&
  existsSync(`${root}src/generated/postgresql/client.ts`) &&
  existsSync(`${root}src/generated/sqlite/client.ts`) &&
  existsSync(`${root}test/generated/seed-app-postgresql/client.ts`) &&
  existsSync(`${root}test/generated/seed-app-sqlite/client.ts`);
if (process.argv.includes('--if-stale') && fresh) process.exit(0);

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && process.platform !== 'win32')
  env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false';

for (const schema of schemas) {
  const run = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    console.error(`prisma generate failed for ${schema}`);
    process.exit(run.status ?? 1);
  }
}
writeFileSync(stampFile, stamp);
