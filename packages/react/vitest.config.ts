import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineProject({
  resolve: {
    // The browser-safe subpath first: aliases match by prefix, in order.
    alias: { '@livekit-replay/core/contract': here('../core/src/contract/index.ts'), ...workspaceAliases },
  },
  test: {
    name: 'react',
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    setupFiles: ['./src/test-setup.ts'],
    // Browser tests (test/*.test.ts) declare the node environment and drive Chromium.
  },
});
