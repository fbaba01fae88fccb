import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyEgressAuth } from './auth.js';
import { TwirpError } from './twirp-error.js';

export type TwirpHandler = (body: unknown) => Promise<unknown>;

export interface TwirpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const PREFIX = '/twirp/livekit.Egress/';
const MAX_BODY = 1 << 20;

/**
 * Twirp (JSON) server for the `livekit.Egress` service. Errors are Twirp JSON `{code,msg}` with
 * content-type exactly `application/json` (what livekit-server-sdk turns into a `ServerError`).
 */
export async function startTwirpServer(options: {
  host: string;
  port: number;
  apiKey: string;
  apiSecret: string;
  handlers: Record<string, TwirpHandler>;
}): Promise<TwirpServer> {
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      sendError(res, err instanceof TwirpError ? err : new TwirpError('internal', String(err)));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      return;
    }
    if (!path.startsWith(PREFIX)) {
      throw new TwirpError('bad_route', `no handler for path "${path}"`);
    }
    const method = path.slice(PREFIX.length);
    const handler = options.handlers[method];
    if (req.method !== 'POST')
      throw new TwirpError('bad_route', `unsupported method "${req.method}" (only POST is allowed)`);
    if (!handler) throw new TwirpError('bad_route', `no handler for path "${path}"`);
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') {
      throw new TwirpError('bad_route', `unexpected Content-Type: "${req.headers['content-type'] ?? ''}"`);
    }
    const raw = await readBody(req);
    await verifyEgressAuth(req.headers.authorization, options.apiKey, options.apiSecret);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw) : {};
    } catch {
      throw new TwirpError('malformed', 'failed to parse request json');
    }
    const result = await handler(body);
    const json = JSON.stringify(result);
    res
      .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) })
      .end(json);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new TwirpError('malformed', 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendError(res: ServerResponse, err: TwirpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const json = JSON.stringify({ code: err.code, msg: err.msg });
  res
    .writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) })
    .end(json);
}
