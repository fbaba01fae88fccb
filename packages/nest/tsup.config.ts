import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Nest, socket.io and core come from the integrator's install, never bundled.
  external: [/^@nestjs\//, '@livekit-replay/core', 'reflect-metadata', 'rxjs', 'socket.io', 'express'],
});
