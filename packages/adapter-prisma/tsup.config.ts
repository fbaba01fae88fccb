import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'node20',
  // import.meta.url locates the migrations folder; tsup shims it in the CJS build.
  shims: true,
  external: ['@prisma/client', '@prisma/adapter-pg', '@prisma/adapter-libsql', 'pg', '@libsql/client'],
});
