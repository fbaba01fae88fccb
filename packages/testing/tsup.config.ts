import { defineConfig } from 'tsup';

export default defineConfig({
  // `contracts` is its own entry: it needs vitest, which users of the emulator alone do not install.
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', contracts: 'src/contracts/index.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', contracts: 'src/contracts/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  external: ['vitest'],
});
