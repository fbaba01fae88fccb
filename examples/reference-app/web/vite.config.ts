import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

// The workspace packages resolve to their sources ("source" condition), so the app builds
// without building the packages first. `vite` (dev server) proxies the API to the backend.
export default defineConfig({
  root: here,
  resolve: {
    conditions: ['source', 'browser', 'module', 'import', 'default'],
    // The stylesheet is exported from the package's build output; in the workspace, its source.
    alias: {
      '@livekit-replay/react/styles.css': path.resolve(here, '../../../packages/react/src/styles.css'),
    },
  },
  // livekit-client and hls.js are large; the app is one page, so one bundle is fine.
  build: { outDir: path.join(here, 'dist'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/livekit': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'ws://127.0.0.1:3000', ws: true },
    },
  },
});
