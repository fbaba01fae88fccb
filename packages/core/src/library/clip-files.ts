import type { Readable } from 'node:stream';
import { z } from 'zod';
import { externalIdSchema, libraryIdSchema } from '../contract/schemas.js';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { ByteRange } from '../ports/clip-storage.js';
import type { ManagerContext } from '../runtime/context.js';
import { parseInput } from '../runtime/inputs.js';
import { loadReadableClip } from './access.js';
import { toFileRecord } from './file-record.js';

const viewSchema = z.object({ clipId: libraryIdSchema, viewerId: externalIdSchema });
const urlSchema = viewSchema.extend({ kind: z.enum(['file', 'poster']) });
/** How long a presigned download URL works: long enough to start a download, short if leaked. */
const PRESIGNED_URL_SECONDS = 300;

export interface ClipFileStream {
  stream: Readable;
  /** Size of the whole file, bytes (for `Content-Range: bytes a-b/size`). */
  sizeBytes: number;
  /** The bytes in `stream` (inclusive), or null for the whole file. */
  range: ByteRange | null;
  /** Bytes in `stream` (`Content-Length`). */
  contentLength: number;
  /** A strong ETag: the SHA-256 of the whole file, quoted. */
  etag: string;
  /** Suggested download name. */
  fileName: string;
  mimeType: string;
}

export interface PosterStream {
  stream: Readable;
  sizeBytes: number;
  mimeType: 'image/jpeg';
}

/**
 * Parses an HTTP `Range` header against a file of `size` bytes (RFC 9110 §14.1.2, one range).
 *
 * - no header, a malformed one, another unit or several ranges → `null` (serve the whole file:
 *   a server may ignore Range);
 * - `bytes=a-b`, `bytes=a-` and `bytes=-n` → the inclusive range, the end clamped to the file;
 * - a range that starts past the end (or `bytes=-0`, or any range of an empty file) →
 *   throws RANGE_NOT_SATISFIABLE (status 416) with `details.sizeBytes`
 *   (answer 416 with `Content-Range: bytes *\/size`).
 */
export function parseRangeHeader(header: string | null | undefined, size: number): ByteRange | null {
  if (header === null || header === undefined) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return null;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  let start: number;
  let end: number;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) throw unsatisfiable(header, size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== '' && Number(last) < start) return null;
    if (start >= size) throw unsatisfiable(header, size);
  }
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) throw unsatisfiable(header, size);
  return { start, end };
}

function unsatisfiable(header: string, size: number): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.RANGE_NOT_SATISFIABLE,
    `The requested byte range (${header.trim()}) is outside the ${size}-byte file`,
    { details: { sizeBytes: size } },
  );
}

/**
 * Opens a clip for playback or download, whole or a byte range. `range` is either a parsed
 * range or the raw `Range` header (see parseRangeHeader). Access rules are getClip's.
 */
export async function openClipFile(
  ctx: ManagerContext,
  raw: { clipId: string; viewerId: string; range?: ByteRange | string | null },
): Promise<ClipFileStream> {
  const input = parseInput(viewSchema, { clipId: raw.clipId, viewerId: raw.viewerId }, 'clip request');
  const { range } = raw;
  const clip = await loadReadableClip(ctx, input.clipId, input.viewerId);
  const sizeBytes = await ctx.storage.size(clip.storageKey);
  if (sizeBytes === null) {
    throw new ReplayBufferError(ReplayErrorCode.CLIP_NOT_FOUND, `The file of clip ${clip.id} is missing`, {
      details: { clipId: clip.id },
    });
  }
  let byteRange: ByteRange | null;
  if (typeof range === 'string' || range === null || range === undefined) {
    byteRange = parseRangeHeader(range, sizeBytes);
  } else {
    if (
      !Number.isSafeInteger(range.start) ||
      !Number.isSafeInteger(range.end) ||
      range.start < 0 ||
      range.end < range.start ||
      range.start >= sizeBytes
    ) {
      throw unsatisfiable(`bytes=${range.start}-${range.end}`, sizeBytes);
    }
    byteRange = { start: range.start, end: Math.min(range.end, sizeBytes - 1) };
  }
  const stream = await ctx.storage.openRead(clip.storageKey, byteRange ?? undefined);
  return {
    stream,
    sizeBytes,
    range: byteRange,
    contentLength: byteRange ? byteRange.end - byteRange.start + 1 : sizeBytes,
    etag: `"${clip.sha256}"`,
    fileName: toFileRecord(clip).filename,
    mimeType: clip.mimeType,
  };
}

/** Opens a clip's poster JPEG (same access rules as the clip). CLIP_NOT_FOUND when it has none. */
export async function openClipPoster(
  ctx: ManagerContext,
  raw: { clipId: string; viewerId: string },
): Promise<PosterStream> {
  const input = parseInput(viewSchema, raw, 'poster request');
  const clip = await loadReadableClip(ctx, input.clipId, input.viewerId);
  const sizeBytes = clip.posterKey ? await ctx.storage.size(clip.posterKey) : null;
  if (!clip.posterKey || sizeBytes === null) {
    throw new ReplayBufferError(ReplayErrorCode.CLIP_NOT_FOUND, `Clip ${clip.id} has no poster`, {
      details: { clipId: clip.id },
    });
  }
  return { stream: await ctx.storage.openRead(clip.posterKey), sizeBytes, mimeType: 'image/jpeg' };
}

/**
 * A presigned URL for a clip's file or poster (same access rules as openClipFile), so a route
 * can redirect to object storage instead of proxying bytes. Null when the storage cannot presign;
 * CLIP_NOT_FOUND for a poster the clip does not have.
 */
export async function getClipFileUrl(
  ctx: ManagerContext,
  raw: { clipId: string; viewerId: string; kind: 'file' | 'poster' },
): Promise<{ url: string; expiresAt: string } | null> {
  const input = parseInput(urlSchema, raw, 'clip URL request');
  const clip = await loadReadableClip(ctx, input.clipId, input.viewerId);
  const storage = ctx.storage;
  if (!storage.presignGet) return null;
  // An ISO instant, like every other result (plain and serialisable).
  const expiresAt = new Date(Date.now() + PRESIGNED_URL_SECONDS * 1000).toISOString();
  if (input.kind === 'file') {
    const url = await storage.presignGet(clip.storageKey, {
      expiresInSeconds: PRESIGNED_URL_SECONDS,
      fileName: toFileRecord(clip).filename,
      contentType: clip.mimeType,
    });
    return { url, expiresAt };
  }
  if (!clip.posterKey) {
    throw new ReplayBufferError(ReplayErrorCode.CLIP_NOT_FOUND, `Clip ${clip.id} has no poster`, {
      details: { clipId: clip.id },
    });
  }
  const url = await storage.presignGet(clip.posterKey, {
    expiresInSeconds: PRESIGNED_URL_SECONDS,
    contentType: 'image/jpeg',
  });
  return { url, expiresAt };
}
