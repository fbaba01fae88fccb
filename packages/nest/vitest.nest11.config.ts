import { createRequire } from 'node:module';
import path from 'node:path';
import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

// The lowest Nest major the package declares (11, CommonJS) in place of 12 (ESM):
// `pnpm --filter @livekit-replay/nest run test:nest11`. Nest 11 comes from compat/nest11; the
// package's sources import it through these aliases, and Nest's own packages find each other there.
const compat = createRequire(new URL('./compat/nest11/package.json', import.meta.url));
const nest = (name: string) => path.dirname(compat.resolve(`@nestjs/${name}/package.json`));

export default defineProject({
  resolve: {
    alias: {
      ...workspaceAliases,
      '@nestjs/common': nest('common'),
      '@nestjs/core': nest('core'),
      '@nestjs/platform-express': nest('platform-express'),
      '@nestjs/platform-socket.io': nest('platform-socket.io'),
      '@nestjs/websockets': nest('websockets'),
    },
  },
  test: {
    name: 'nest (Nest 11)',
    root: import.meta.dirname,
    // Module wiring, raw bodies, pipes/filters/guards, the gateway and webhook-driven starts; the
    // media-heavy journeys run once, on Nest 12.
    include: [
      'test/module.test.ts',
      'test/webhook.test.ts',
      'test/errors.test.ts',
      'test/gateway.test.ts',
      'test/auto-start.test.ts',
      'test/nest-version.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    env: { NEST_MAJOR: '11' },
    globalSetup: ['../adapter-prisma/test/global-setup.ts'],
  },
});
