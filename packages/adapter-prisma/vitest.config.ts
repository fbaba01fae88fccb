import { mergeConfig } from 'vitest/config';
import { packageProject } from '../../vitest.shared.js';

// The Prisma clients are generated (gitignored): the global setup generates them when missing.
export default mergeConfig(packageProject('adapter-prisma'), {
  test: { globalSetup: ['./test/global-setup.ts'] },
});
