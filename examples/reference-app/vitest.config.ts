import { mergeConfig } from 'vitest/config';
import { packageProject } from '../../vitest.shared.js';

// The browser journey: the real app as a child process, driven by Chromium. One file at a time
// (each starts its own app and browser), generous timeouts for a loaded 2-core machine.
export default mergeConfig(
  packageProject('reference-app', { testTimeout: 240_000, fileParallelism: false }),
  {
    test: { include: ['e2e/**/*.test.ts'], hookTimeout: 240_000 },
  },
);
