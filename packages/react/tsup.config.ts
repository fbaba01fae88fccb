import { copyFileSync, mkdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'client-entry': 'src/client-entry.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
  // Hooks and components run only in client components (React Server Components).
  banner: { js: "'use client';" },
  external: ['react', 'react-dom', 'livekit-client', 'hls.js', 'socket.io-client', '@livekit-replay/core'],
  async onSuccess() {
    mkdirSync('dist', { recursive: true });
    copyFileSync('src/styles.css', 'dist/styles.css');
  },
});
