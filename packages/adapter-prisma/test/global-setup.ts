import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Generates the package's Prisma clients before any test imports them (no-op when fresh). */
export default function setup(): void {
  const script = fileURLToPath(new URL('../scripts/generate.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [script, '--if-stale'], { stdio: 'inherit' });
  if (run.status !== 0)
    throw new Error(
      'prisma generate failed; run `pnpm --filter @livekit-replay/adapter-prisma run generate`',
    );
}
