import { copyFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
  external: [
    'react',
    'react-dom',
    'livekit-client',
    'hls.js',
    'socket.io-client',
    '@livekit-replay/core',
    'zod',
  ],
};

export default defineConfig([
  // Hooks and components: client components under React Server Components.
  {
    ...shared,
    entry: { index: 'src/index.ts' },
    clean: true,
    banner: { js: "'use client';" },
    onSuccess: async () => copyFileSync('src/styles.css', 'dist/styles.css'),
  },
  // The plain client works anywhere, a server component included.
  { ...shared, entry: { 'client-entry': 'src/client-entry.ts' } },
]);
