// What an app downloads for `@livekit-replay/react`: its entry point bundled the way an app's
// bundler would (minified, peers external), then gzipped. hls.js and socket.io-client are
// imported lazily (TrimPreview, the socket), so they land in chunks of their own.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const result = await build({
  entryPoints: ['src/index.ts'],
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  write: false,
  outdir: 'out',
  metafile: true,
  target: 'es2022',
  jsx: 'automatic',
  conditions: ['source'],
  external: ['react', 'react-dom', 'react/jsx-runtime', 'livekit-client'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'error',
});

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const rows: string[] = [];
for (const file of result.outputFiles) {
  const name = file.path.split('/out/')[1] ?? file.path;
  const meta = result.metafile.outputs[`out/${name}`];
  const inputs = Object.entries(meta?.inputs ?? {})
    .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
    .slice(0, 3)
    .map(
      ([input, info]) =>
        `${input.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')} ${kb(info.bytesInOutput)}`,
    );
  const kind = meta?.entryPoint ? 'entry' : 'lazy chunk';
  rows.push(
    `| ${kind} \`${name}\` | ${kb(file.contents.length)} | ${kb(gzipSync(file.contents).length)} | ${inputs.join(', ')} |`,
  );
}
console.log('| output | minified | gzip | largest inputs |\n|---|---|---|---|');
console.log(rows.join('\n'));
