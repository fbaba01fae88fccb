import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ReplayBufferError, ReplayErrorCode } from '../../errors.js';
import type { SegmentReader } from '../../ports/segment-source.js';
import type { Segment } from '../../segments/types.js';

/** A segment larger than this is not a segment (same bound as the segment prober). */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

/**
 * Reads one whole segment into memory: from its file when the source is local (or absent),
 * else through `source.open` (object storage streams it; nothing is downloaded to disk).
 */
export async function readSegmentBytes(
  segment: Segment,
  source: SegmentReader | undefined,
  allocate: (size: number) => Buffer,
  signal?: AbortSignal,
): Promise<Buffer> {
  signal?.throwIfAborted();
  if (!source || source.local) return readLocal(segment, allocate, signal);
  const stream = await source.open(segment, signal ? { signal } : {});
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > MAX_SEGMENT_BYTES) throw tooLarge(segment, size);
      chunks.push(buffer);
    }
  } catch (error) {
    stream.destroy();
    if (error instanceof ReplayBufferError || signal?.aborted) throw error;
    throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `Could not read segment ${segment.name}`, {
      cause: error,
      details: { segment: segment.name },
    });
  }
  const bytes = allocate(size);
  let at = 0;
  for (const chunk of chunks) at += chunk.copy(bytes, at);
  return bytes;
}

async function readLocal(
  segment: Segment,
  allocate: (size: number) => Buffer,
  signal?: AbortSignal,
): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // Only a regular file, never through a symlink; O_NONBLOCK so a FIFO cannot hang the open.
    handle = await open(segment.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const gone = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ReplayBufferError(
      gone ? ReplayErrorCode.RANGE_UNAVAILABLE : ReplayErrorCode.STORAGE_ERROR,
      gone
        ? 'Part of that range was removed from the replay buffer meanwhile; choose a more recent range'
        : `Could not open segment ${segment.name}`,
      { cause: error, details: { segment: segment.name } },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_SEGMENT_BYTES) throw tooLarge(segment, info.size);
    const bytes = allocate(info.size);
    let read = 0;
    while (read < info.size) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(bytes, read, info.size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return bytes.subarray(0, read);
  } finally {
    await handle.close();
  }
}

function tooLarge(segment: Segment, sizeBytes: number): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.MEDIA_ERROR,
    `Segment ${segment.name} is not a regular file of plausible size`,
    { details: { segment: segment.name, sizeBytes } },
  );
}
