// Browser-test plumbing: bundle the test page with esbuild, serve it on 127.0.0.1 in front of
// the real backend (a same-origin proxy, so cookies reach <video> and <img> requests too), and
// drive Debian's Chromium with playwright-core.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Bundles test/browser/page.tsx (React, the package's sources, hls.js, socket.io-client, styles). */
export async function bundlePage(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lkr-react-page-'));
  await build({
    entryPoints: { page: path.join(here, 'page.tsx') },
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['source'],
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'error',
  });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };

/** Serves the bundle and forwards every other request (HTTP and WebSocket upgrades) to `apiUrl`. */
export function startPageServer(bundleDir: string, apiUrl: string): Promise<PageServer> {
  const api = new URL(apiUrl);
  const server = http.createServer(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const file =
      pathname === '/' ? path.join(here, 'page.html') : path.join(bundleDir, path.basename(pathname));
    if (pathname === '/' || /^\/[\w.-]+\.(js|css)$/.test(pathname)) {
      try {
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
        res.end(body);
        return;
      } catch {
        // not ours: forward
      }
    }
    const upstream = http.request(
      { host: api.hostname, port: api.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('upgrade', (req, socket, head) => {
    const upstream = net.connect(Number(api.port), api.hostname, () => {
      const headers = Object.entries(req.headers).map(
        ([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`,
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Collects console errors and page errors (a test fails on any). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Failed requests are reported below with their URL.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(`console: ${message.text()}`);
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()} ${response.url()}`);
  });
  return errors;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core (from npm) in the page: serious and critical violations. */
export async function seriousAxeViolations(page: Page, selector = 'body'): Promise<AxeViolation[]> {
  const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  const violations = await page.evaluate(async (context) => {
    const axe = (
      window as unknown as { axe: { run(c: string, o: object): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run(context, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  }, selector);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Screenshots go to docs/ when LKR_SCREENSHOTS=1 (to refresh the README's), else to a temp dir. */
export function screenshotPath(name: string): string {
  const docs = path.join(here, '../../docs');
  return process.env.LKR_SCREENSHOTS === '1'
    ? path.join(docs, `${name}.png`)
    : path.join(tmpdir(), `lkr-${name}.png`);
}
