import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** One request the server answered (for tests that count S3 calls, e.g. ListObjectsV2). */
export interface S3RequestRecord {
  method: string;
  /** Path as sent (`/bucket/key`, path style), without the query. */
  path: string;
  /** Query parameter names and values. */
  query: Record<string, string>;
}

export interface S3TestServer {
  /** `http://127.0.0.1:<port>`: pass as `endpoint` with `forcePathStyle: true`. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Buckets created at start. */
  buckets: string[];
  /** Where the objects live on disk (removed by `close` unless it was given). */
  directory: string;
  /** Every request, in arrival order. */
  readonly requests: readonly S3RequestRecord[];
  /** Number of `ListObjectsV2` requests on `bucket` so far. */
  listObjectsV2Count(bucket: string): number;
  /** Closes every connection, stops listening and removes the directory. */
  close(): Promise<void>;
}

export interface S3TestServerOptions {
  /** Buckets to create (names of at least 3 characters). Default: `['replay']`. */
  buckets?: string[];
  /**
   * Keep the objects in this directory (created if missing), across restarts: `close` leaves it.
   * Default: a fresh temporary directory that `close` removes.
   */
  directory?: string;
}

/** What this file uses of s3rver 3.7.1 (it extends Koa; `middleware` is Koa's list). */
interface S3rverModule {
  default: new (options: {
    address: string;
    port: number;
    silent: boolean;
    directory: string;
    vhostBuckets: boolean;
    configureBuckets: Array<{ name: string }>;
  }) => {
    middleware: unknown[];
    store: {
      putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
      putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
      getResourcePath(bucket: string, key: string | undefined, resource: string): string;
      existsObject(bucket: string, key: string): Promise<boolean>;
      deleteObject(bucket: string, key: string): Promise<void>;
    };
    httpServer?: import('node:http').Server;
    run(): Promise<{ port: number }>;
    close(): Promise<void>;
  };
}

interface StoredObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: unknown;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string>;
  req: IncomingMessage;
  status: number;
  body: unknown;
  type: string;
}

/**
 * Starts s3rver 3.7.1 (an S3-compatible server in pure JS, in this process) on 127.0.0.1 with
 * an ephemeral port and a fresh temporary directory (or the given ones). Credentials are s3rver's fixed
 * `S3RVER`/`S3RVER`.
 *
 * s3rver 3.7.1 does not implement three operations the library relies on; they are added here
 * in front of its router, on its own filesystem store: `DeleteObjects` (POST `?delete`),
 * `AbortMultipartUpload` (DELETE `?uploadId`) and `ListMultipartUploads` (GET `?uploads`).
 * Needs the `s3rver` package (an optional peer dependency).
 */
export async function startS3TestServer(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  // A non-literal specifier: s3rver ships no types (S3rverModule describes what is used).
  const { default: S3rver } = (await import('s3rver' as string)) as S3rverModule;
  const buckets = options.buckets ?? ['replay'];
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'livekit-replay-s3-')));
  if (!ownDirectory) await mkdir(directory, { recursive: true });
  const removeDirectory = () => (ownDirectory ? rm(directory, { recursive: true, force: true }) : undefined);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const staging = await mkdtemp(join(tmpdir(), 'livekit-replay-s3-staging-'));
  // s3rver overwrites an object file in place and answers before it is flushed: a GET racing a
  // PUT (a playlist being replaced) is then cut off. S3 replaces objects atomically: so does this.
  server.store.putObject = async (object) => {
    const objectPath = server.store.getResourcePath(object.bucket, object.key, 'object');
    const temp = join(staging, randomBytes(8).toString('hex'));
    const md5 = createHash('md5');
    let size = 0;
    try {
      await pipeline(
        Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content,
        new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            md5.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        }),
        createWriteStream(temp),
      );
      await mkdir(dirname(objectPath), { recursive: true });
      await rename(temp, objectPath);
    } finally {
      await rm(temp, { force: true });
    }
    const digest = md5.digest('hex');
    await server.store.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
  const requests: S3RequestRecord[] = [];
  const uploadsDir = (bucket: string) => server.store.getResourcePath(bucket, undefined, 'uploads');

  const shim = async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    requests.push({ method: ctx.method, path: ctx.path, query: { ...ctx.query } });
    const [, rawBucket = '', ...keyParts] = ctx.path.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = decodeURIComponent(keyParts.join('/'));
    if (!buckets.includes(bucket)) return next();
    if (ctx.method === 'POST' && key === '' && 'delete' in ctx.query) {
      const keys = [...(await readBody(ctx.req)).matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((m) =>
        decodeXml(m[1] ?? ''),
      );
      for (const k of keys) {
        if (await server.store.existsObject(bucket, k)) await server.store.deleteObject(bucket, k);
      }
      ctx.type = 'application/xml';
      ctx.body = xml(
        'DeleteResult',
        keys.map((k) => `<Deleted><Key>${encodeXml(k)}</Key></Deleted>`),
      );
      return;
    }
    if (ctx.method === 'DELETE' && key !== '' && typeof ctx.query.uploadId === 'string') {
      const dir = join(uploadsDir(bucket), ctx.query.uploadId.replace(/[^A-Za-z0-9_-]/g, ''));
      const exists = await stat(dir).then(
        () => true,
        () => false,
      );
      if (!exists) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = xml('Error', [
          '<Code>NoSuchUpload</Code><Message>The specified upload does not exist</Message>',
        ]);
        return;
      }
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && key === '' && 'uploads' in ctx.query) {
      const prefix = ctx.query.prefix ?? '';
      const entries = await readdir(uploadsDir(bucket)).catch(() => [] as string[]);
      const uploads: string[] = [];
      for (const uploadId of entries.sort()) {
        const uploadKey = await readFile(join(uploadsDir(bucket), uploadId, 'key'), 'utf8').catch(() => null);
        if (uploadKey === null || !uploadKey.startsWith(prefix)) continue;
        uploads.push(
          `<Upload><Key>${encodeXml(uploadKey)}</Key><UploadId>${uploadId}</UploadId>` +
            `<Initiated>${new Date().toISOString()}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`,
        );
      }
      ctx.type = 'application/xml';
      ctx.body = xml('ListMultipartUploadsResult', [
        `<Bucket>${encodeXml(bucket)}</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>`,
        `<Prefix>${encodeXml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>`,
        ...uploads,
      ]);
      return;
    }
    return next();
  };
  // In front of s3rver's router (its last middleware), after its logging and vhost handling.
  server.middleware.splice(server.middleware.length - 1, 0, shim as never);

  let address: { port: number };
  try {
    address = await server.run();
  } catch (error) {
    await removeDirectory();
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    region: 'us-east-1',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    buckets,
    directory,
    requests,
    listObjectsV2Count: (bucket) =>
      requests.filter(
        (r) =>
          r.method === 'GET' && r.path.replace(/\/$/, '') === `/${bucket}` && r.query['list-type'] === '2',
      ).length,
    close: async () => {
      if (closed) return;
      closed = true;
      const closing = server.close();
      // Keep-alive sockets of SDK clients would hold close() open.
      server.httpServer?.closeAllConnections();
      await closing;
      await removeDirectory();
      await rm(staging, { recursive: true, force: true });
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function xml(root: string, children: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${children.join('')}</${root}>`;
}

function encodeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function decodeXml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
