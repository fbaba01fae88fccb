import { defineConfig } from 'vitest/config';

// One project per package; each package's vitest.config.ts extends vitest.shared.ts.
export default defineConfig({
  test: {
    // …plus the Nest package's run on Nest 11 and the React package's unit tests on React 18,
    // the lowest majors they declare.
    projects: [
      'packages/*/vitest.config.ts',
      'packages/nest/vitest.nest11.config.ts',
      'packages/react/vitest.react18.config.ts',
      // The reference app's browser journey.
      'examples/*/vitest.config.ts',
    ],
  },
});
