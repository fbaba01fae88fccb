import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias: workspaceAliases },
  test: {
    name: 'react',
    // Unit tests run in happy-dom; browser tests (test/browser/*.test.ts) declare the node
    // environment and drive Chromium.
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    setupFiles: ['./src/test-setup.ts'],
    // The browser tests run the Nest package's e2e app, whose stores import the Prisma clients.
    globalSetup: ['../adapter-prisma/test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 240_000,
  },
});
