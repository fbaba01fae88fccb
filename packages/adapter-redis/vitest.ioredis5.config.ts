import { createRequire } from 'node:module';
import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

// The same tests with ioredis 5 in place of 6 (the peer range allows both):
// `npx vitest run --config packages/adapter-redis/vitest.ioredis5.config.ts` from the root.
const require = createRequire(import.meta.url);

export default defineProject({
  resolve: { alias: { ...workspaceAliases, ioredis: require.resolve('ioredis5') } },
  test: {
    name: 'adapter-redis (ioredis 5)',
    root: import.meta.dirname,
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
