import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { isNotFound, s3Error } from './config.js';

/** One ranged GET: bytes `start`..`end` (inclusive) of `key`. */
export interface ByteChunk {
  key: string;
  start: number;
  end: number;
}

export interface RangedReadOptions {
  client: S3Client;
  bucket: string;
  /** Ranged GETs in flight at most (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
}

/** Splits `start`..`end` of `key` into chunks of at most `partSize` bytes. */
export function chunksOf(key: string, start: number, end: number, partSize: number): ByteChunk[] {
  const chunks: ByteChunk[] = [];
  for (let offset = start; offset <= end; offset += partSize) {
    chunks.push({ key, start: offset, end: Math.min(end, offset + partSize - 1) });
  }
  return chunks;
}

async function fetchChunk(
  options: RangedReadOptions,
  chunk: ByteChunk,
  signal: AbortSignal,
): Promise<Buffer> {
  try {
    const response = await options.client.send(
      new GetObjectCommand({
        Bucket: options.bucket,
        Key: chunk.key,
        Range: `bytes=${chunk.start}-${chunk.end}`,
      }),
      { abortSignal: signal },
    );
    if (!response.Body) throw new Error('the S3 response has no body');
    const bytes = Buffer.from(await response.Body.transformToByteArray());
    if (bytes.length !== chunk.end - chunk.start + 1) {
      throw new Error(`short read of ${chunk.key}: ${bytes.length} of ${chunk.end - chunk.start + 1} bytes`);
    }
    return bytes;
  } catch (error) {
    if (isNotFound(error)) {
      throw new ReplayBufferError(
        ReplayErrorCode.RANGE_UNAVAILABLE,
        `segment ${chunk.key} is no longer stored`,
        {
          cause: error,
        },
      );
    }
    throw s3Error(`read ${chunk.key}`, error);
  }
}

/**
 * Streams the chunks in order, keeping up to `concurrency` ranged GETs in flight ahead of the
 * reader: memory stays below `concurrency` chunks plus the one being consumed, however long
 * the read. Destroying the stream (or `signal`) cancels the requests in flight.
 */
export function readChunks(chunks: readonly ByteChunk[], options: RangedReadOptions): Readable {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  async function* generate(): AsyncGenerator<Buffer> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    if (options.signal?.aborted) controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const inflight: Promise<Buffer>[] = [];
    let next = 0;
    const launch = () => {
      const chunk = chunks[next++];
      if (!chunk) return;
      const pending = fetchChunk(options, chunk, controller.signal);
      // Awaited in order below; this only keeps a later failure from being "unhandled" meanwhile.
      pending.catch(() => {});
      inflight.push(pending);
    };
    try {
      while (next < chunks.length && inflight.length < concurrency) launch();
      while (inflight.length > 0) {
        const bytes = await (inflight.shift() as Promise<Buffer>);
        launch();
        yield bytes;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }
  return Readable.from(generate(), { objectMode: false, highWaterMark: 1 });
}
