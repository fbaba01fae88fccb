// What an app downloads for `@livekit-replay/react`: its entry point bundled the way an app's
// bundler would (minified, peers external), then gzipped. hls.js and socket.io-client are
// imported lazily (TrimPreview, the socket), so they land in chunks of their own.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const options = {
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
} as const;
const result = await build({ ...options, external: [...options.external] });

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
  const kind = name.startsWith('index') ? 'entry' : 'lazy chunk';
  rows.push(
    `| ${kind} \`${name}\` | ${kb(file.contents.length)} | ${kb(gzipSync(file.contents).length)} | ${inputs.join(', ')} |`,
  );
}
console.log('| output | minified | gzip | largest inputs |\n|---|---|---|---|');
console.log(rows.join('\n'));

// Who fills the entry: this package, the contract (routes, schemas) and zod (the schemas' runtime).
const entry = result.metafile.outputs['out/index.js'];
const groups: Record<string, number> = {};
for (const [input, info] of Object.entries(entry?.inputs ?? {})) {
  const group = input.includes('node_modules')
    ? (/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input.split('node_modules/.pnpm/')[1] ?? '')?.[1] ??
      'other')
    : input.includes('core/src/contract')
      ? '@livekit-replay/core/contract'
      : '@livekit-replay/react';
  groups[group] = (groups[group] ?? 0) + info.bytesInOutput;
}
console.log(
  `\nentry, minified, by origin: ${Object.entries(groups)
    .sort((a, b) => b[1] - a[1])
    .map(([g, n]) => `${g} ${kb(n)}`)
    .join(', ')}`,
);

// The same entry when the app already bundles zod 4 (shared, so not counted).
const withoutZod = await build({ ...options, external: [...options.external, 'zod'], metafile: false });
const lean = withoutZod.outputFiles.find((f) => f.path.endsWith('/index.js'));
if (lean) {
  console.log(
    `entry without zod: ${kb(lean.contents.length)} minified, ${kb(gzipSync(lean.contents).length)} gzip`,
  );
}
