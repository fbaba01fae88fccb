import { createRequire } from 'node:module';
import path from 'node:path';
import { defineProject } from 'vitest/config';
import { workspaceAliases } from '../../vitest.shared.js';

// The lowest React major the package declares (18) in place of 19, for the unit tests:
// `pnpm --filter @livekit-replay/react run test:react18`. React 18, ReactDOM 18 and a Testing
// Library bound to them come from compat/react18; the sources and tests import them through these
// aliases (a bare name also covers its subpaths: react/jsx-runtime, react-dom/client).
const compat = createRequire(new URL('./compat/react18/package.json', import.meta.url));
const from18 = (name: string) => path.dirname(compat.resolve(`${name}/package.json`));

export default defineProject({
  resolve: {
    alias: {
      ...workspaceAliases,
      react: from18('react'),
      'react-dom': from18('react-dom'),
      '@testing-library/react': from18('@testing-library/react'),
      '@testing-library/dom': from18('@testing-library/dom'),
    },
  },
  test: {
    name: 'react (React 18)',
    root: import.meta.dirname,
    environment: 'happy-dom',
    // The happy-dom unit tests; the Chromium browser tests run once, on React 19.
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['./src/test-setup.ts'],
    testTimeout: 30_000,
    env: { REACT_MAJOR: '18' },
  },
});
