import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Workspace packages resolve to their TypeScript sources, so tests need no build step. */
export const workspaceAliases = {
  // Subpaths first: aliases match by prefix, in order.
  '@livekit-replay/core/adapter': here('./packages/core/src/adapter.ts'),
  '@livekit-replay/core/contract': here('./packages/core/src/contract/index.ts'),
  '@livekit-replay/core': here('./packages/core/src/index.ts'),
  '@livekit-replay/testing/contracts': here('./packages/testing/src/contracts/index.ts'),
  '@livekit-replay/testing': here('./packages/testing/src/index.ts'),
  '@livekit-replay/adapter-prisma': here('./packages/adapter-prisma/src/index.ts'),
  '@livekit-replay/adapter-redis': here('./packages/adapter-redis/src/index.ts'),
  '@livekit-replay/nest': here('./packages/nest/src/index.ts'),
};

export function packageProject(
  name: string,
  overrides: { testTimeout?: number; fileParallelism?: boolean } = {},
) {
  return defineProject({
    resolve: { alias: workspaceAliases },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 60_000,
      hookTimeout: 120_000,
      fileParallelism: overrides.fileParallelism ?? true,
    },
  });
}
