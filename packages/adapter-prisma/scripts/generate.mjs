// Generates this package's private Prisma clients (PostgreSQL and SQLite) into src/generated.
// Prisma 7's CLI wants the schema-engine binary only for migrate/db push; `generate` runs
// without it, so point it at a no-op when none is configured (it cannot be downloaded here).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && process.platform !== 'win32')
  env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false';

for (const schema of ['prisma/schema.prisma', 'prisma/sqlite/schema.prisma']) {
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
