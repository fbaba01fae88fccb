import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // The driver and core are resolved from the integrator's install, never bundled.
  external: ['ioredis', '@livekit-replay/core'],
});
