import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';

/** LiveKit's webhooks are small JSON documents; anything far bigger is not one. */
const MAX_WEBHOOK_BYTES = 1024 * 1024;

const HOW_TO_FIX =
  'create the Nest app with raw bodies: `NestFactory.create(AppModule, { rawBody: true })` ' +
  '(or `bodyParser: false`), and do not add body parsers that consume every content type without keeping the raw bytes';

type ParsedRequest = IncomingMessage & { rawBody?: unknown; _body?: unknown; body?: unknown };

/**
 * The webhook's body exactly as received. LiveKit posts `application/webhook+json`, which
 * Express's JSON parser skips, so the stream is usually still unread and is read here; when a
 * parser did read it (e.g. `application/json`), Nest's `rawBody: true` kept the bytes in `req.rawBody`.
 */
export async function readRawBody(req: ParsedRequest): Promise<Buffer> {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (req._body === true || req.readableEnded) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `A body parser consumed the LiveKit webhook without keeping its raw bytes: ${HOW_TO_FIX}`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += bytes.length;
    if (size > MAX_WEBHOOK_BYTES) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'The webhook body is too large');
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

interface ExpressLayer {
  handle?: ((req: unknown, res: unknown, next: (error?: unknown) => void) => void) & { name?: string };
}

/** Function names of body-parser's middleware (Express's json/urlencoded/text/raw parsers). */
const BODY_PARSERS = new Set(['jsonParser', 'urlencodedParser', 'textParser', 'rawParser']);

/**
 * Fails at boot unless the webhook route will see the raw bytes of any body: each body parser
 * the app registered is run on a sample request (`application/json` and LiveKit's
 * `application/webhook+json`); one that consumes the body without leaving `req.rawBody` means
 * signatures could never verify.
 */
export async function assertRawBodiesAvailable(adapterType: string, expressApp: unknown): Promise<void> {
  if (adapterType !== 'express') {
    throw new Error(
      `@livekit-replay/nest: the LiveKit webhook route supports the Express platform (this app uses "${adapterType}"); ` +
        'use @nestjs/platform-express, or set webhookPath: false and pass the raw body to manager.handleWebhook yourself',
    );
  }
  const app = expressApp as { router?: { stack?: ExpressLayer[] }; _router?: { stack?: ExpressLayer[] } };
  const stack = app.router?.stack ?? app._router?.stack ?? [];
  for (const layer of stack) {
    const name = layer.handle?.name;
    if (!layer.handle || !name || !BODY_PARSERS.has(name)) continue;
    for (const contentType of ['application/webhook+json', 'application/json']) {
      const req = await probe(layer.handle, contentType);
      const consumed = req._body === true || req.body !== undefined;
      if (consumed && !Buffer.isBuffer(req.rawBody)) {
        throw new Error(
          `@livekit-replay/nest: the app's ${name} reads ${contentType} request bodies without keeping the raw bytes, ` +
            `so LiveKit's webhook signatures cannot be verified. Fix: ${HOW_TO_FIX}.`,
        );
      }
    }
  }
}

async function probe(
  handle: NonNullable<ExpressLayer['handle']>,
  contentType: string,
): Promise<ParsedRequest> {
  const body = Buffer.from('{"probe":true}');
  // Looks like an IncomingMessage still being received (body-parser skips finished requests).
  const stream = new Readable({ read() {} });
  const req = Object.assign(stream, {
    complete: false,
    socket: { readable: true },
    method: 'POST',
    url: '/',
    headers: { 'content-type': contentType, 'content-length': String(body.length) },
  }) as unknown as ParsedRequest;
  stream.push(body);
  stream.push(null);
  await new Promise<void>((resolve) => {
    try {
      handle(req, {}, () => resolve());
    } catch {
      resolve();
    }
  });
  return req;
}
