import type { Readable } from 'node:stream';
import { z } from 'zod';
import { ReplayBufferError, ReplayErrorCode, toReplayBufferError } from '../errors.js';
import { SAFE_ID_PATTERN } from '../ids.js';
import type { ClipFileRecord, ClipShareTarget } from '../ports/clip-sharer.js';
import type { ByteRange } from '../ports/clip-storage.js';
import type { ClipPage } from '../ports/clip-store.js';
import type { QuotaUsage } from '../ports/quota-ledger.js';
import type { ClipRecord, ClipVisibility } from '../types.js';
import type { ManagerContext } from './context.js';
import { toFileRecord } from './file-record.js';
import { parseInput } from './inputs.js';
import { authorizeOrThrow } from './session-lifecycle.js';

/** Integrator-supplied ids (users, channels): opaque, bounded, printable. */
const externalId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const clipId = z.string().regex(SAFE_ID_PATTERN, 'is not a valid clip id');
const visibility = z.enum(['private', 'public']);

const accessSchema = z.object({ clipId, userId: externalId });
const pageSchema = z.object({
  userId: externalId,
  cursor: z.string().min(1).max(512).nullish(),
  limit: z.number().int().min(1).max(100).optional(),
});
const visibilitySchema = z.object({ clipId, userId: externalId, visibility });
const quotaSchema = z.object({
  userId: externalId,
  bytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
const shareSchema = z
  .object({
    clipId,
    userId: externalId,
    target: z.enum(['channel', 'dm']),
    channelId: externalId.optional(),
    recipientUserId: externalId.optional(),
    message: z.string().max(4000).optional(),
  })
  .refine((v) => v.target !== 'dm' || v.recipientUserId !== undefined, {
    message: 'a direct message needs recipientUserId',
    path: ['recipientUserId'],
  });

export interface ListClipsPageOptions {
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: string | null;
  /** Page size, 1–100 (default 20). */
  limit?: number;
}

export interface ListPublicClipsOptions extends ListClipsPageOptions {
  /**
   * Who is looking. When set and an authorize hook is configured, clips the hook refuses
   * (`view_clip`) are left out of the page (so a page may hold fewer than `limit` items).
   */
  viewerId?: string;
}

export interface DeleteClipResult {
  /** False when the clip was already gone (deleting twice is not an error). */
  deleted: boolean;
  /** Quota bytes given back to the owner. */
  freedBytes: number;
}

export interface ShareClipInput {
  target: ClipShareTarget;
  /** Channel to post in (`target: 'channel'`); defaults to the channel the clip was recorded in. */
  channelId?: string;
  /** Who receives the direct message (`target: 'dm'`). */
  recipientUserId?: string;
  message?: string;
}

export interface ShareClipResult {
  clip: ClipRecord;
  file: ClipFileRecord;
  messageId: string;
  /** True when sharing turned a private clip public (recipients must be able to open it). */
  madePublic: boolean;
}

export interface ClipStream {
  stream: Readable;
  /** Size of the whole file, bytes (for `Content-Range: bytes a-b/size`). */
  sizeBytes: number;
  /** The bytes in `stream` (inclusive), or null for the whole file. */
  range: ByteRange | null;
  /** Bytes in `stream` (`Content-Length`). */
  contentLength: number;
  mimeType: string;
  /** Suggested download name. */
  filename: string;
  /** SHA-256 of the whole file, hex (a strong ETag). */
  sha256: string;
}

export interface PosterStream {
  stream: Readable;
  sizeBytes: number;
  mimeType: 'image/jpeg';
}

function notFound(id: string): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.CLIP_NOT_FOUND,
    `Clip ${id} does not exist or is not yours to see`,
    {
      details: { clipId: id },
    },
  );
}

/**
 * Loads a clip the caller may read. A private clip is its owner's alone: anyone else gets
 * CLIP_NOT_FOUND, exactly as for a clip that never existed, so ids cannot be probed. A public
 * clip is readable by whoever the authorize hook allows (`view_clip`; FORBIDDEN otherwise).
 */
async function loadReadableClip(ctx: ManagerContext, id: string, viewerId: string): Promise<ClipRecord> {
  const clip = await ctx.clips.get(id);
  if (!clip) throw notFound(id);
  if (clip.ownerId === viewerId) return clip;
  if (clip.visibility !== 'public') throw notFound(id);
  await authorizeOrThrow(ctx, {
    userId: viewerId,
    action: 'view_clip',
    roomName: clip.roomName,
    channelId: clip.channelId,
    communityId: clip.communityId,
    sessionId: clip.sessionId,
    clipId: clip.id,
  });
  return clip;
}

/** Loads a clip the caller owns: private clips of others look missing, public ones are FORBIDDEN. */
async function loadOwnClip(ctx: ManagerContext, id: string, userId: string): Promise<ClipRecord> {
  const clip = await ctx.clips.get(id);
  if (!clip || (clip.ownerId !== userId && clip.visibility !== 'public')) throw notFound(id);
  if (clip.ownerId !== userId) {
    throw new ReplayBufferError(ReplayErrorCode.FORBIDDEN, 'Only the owner of a clip can change it', {
      details: { clipId: id },
    });
  }
  return clip;
}

/** The user's own clips, newest first, every visibility. */
export async function listClips(
  ctx: ManagerContext,
  userId: string,
  options: ListClipsPageOptions = {},
): Promise<ClipPage> {
  const input = parseInput(pageSchema, { userId, ...options }, 'clip listing');
  return ctx.clips.listByOwner(input.userId, {
    cursor: input.cursor ?? null,
    ...(input.limit === undefined ? {} : { limit: input.limit }),
  });
}

/** Another user's public clips, newest first (a profile page). */
export async function listPublicClips(
  ctx: ManagerContext,
  ownerId: string,
  options: ListPublicClipsOptions = {},
): Promise<ClipPage> {
  const { viewerId, ...page } = options;
  const input = parseInput(pageSchema, { userId: ownerId, ...page }, 'public clip listing');
  if (viewerId !== undefined) parseInput(externalId, viewerId, 'viewerId');
  const result = await ctx.clips.listByOwner(input.userId, {
    cursor: input.cursor ?? null,
    visibility: 'public',
    ...(input.limit === undefined ? {} : { limit: input.limit }),
  });
  if (viewerId === undefined || viewerId === ownerId || !ctx.authorize) return result;
  const allowed: ClipRecord[] = [];
  for (const clip of result.items) {
    const ok = await authorizeOrThrow(ctx, {
      userId: viewerId,
      action: 'view_clip',
      roomName: clip.roomName,
      channelId: clip.channelId,
      communityId: clip.communityId,
      sessionId: clip.sessionId,
      clipId: clip.id,
    }).then(
      () => true,
      () => false,
    );
    if (ok) allowed.push(clip);
  }
  // The cursor still points past the last item read, so skipped clips never reappear.
  return { items: allowed, nextCursor: result.nextCursor };
}

/** One clip, if `viewerId` may see it (owner, or a public clip the authorize hook allows). */
export async function getClip(ctx: ManagerContext, id: string, viewerId: string): Promise<ClipRecord> {
  const input = parseInput(accessSchema, { clipId: id, userId: viewerId }, 'clip request');
  return loadReadableClip(ctx, input.clipId, input.userId);
}

/**
 * Deletes a clip: its file and poster, then its record, then gives its bytes back to the
 * owner's quota. Files go first so a failure leaves a record the owner can delete again, never
 * an unaccounted file; the record's removal is atomic, so concurrent deletes free the quota once.
 * Deleting a clip that is already gone resolves with `deleted: false` (so does someone else's
 * private clip: it looks missing); someone else's public clip is FORBIDDEN.
 */
export async function deleteClip(ctx: ManagerContext, id: string, userId: string): Promise<DeleteClipResult> {
  const input = parseInput(accessSchema, { clipId: id, userId }, 'delete request');
  const clip = await ctx.clips.get(input.clipId);
  // Someone else's private clip answers like a missing one, so ids cannot be probed.
  if (!clip || (clip.ownerId !== input.userId && clip.visibility !== 'public')) {
    return { deleted: false, freedBytes: 0 };
  }
  if (clip.ownerId !== input.userId) await loadOwnClip(ctx, clip.id, input.userId);
  await ctx.storage.delete(clip.storageKey);
  if (clip.posterKey) await ctx.storage.delete(clip.posterKey);
  const removed = await ctx.clips.delete(clip.id);
  if (!removed) return { deleted: false, freedBytes: 0 };
  await ctx.quotas.free(removed.ownerId, removed.sizeBytes);
  return { deleted: true, freedBytes: removed.sizeBytes };
}

/** Makes a clip public (readable by others the authorize hook allows) or private again. */
export async function setClipVisibility(
  ctx: ManagerContext,
  id: string,
  userId: string,
  next: ClipVisibility,
): Promise<ClipRecord> {
  const input = parseInput(visibilitySchema, { clipId: id, userId, visibility: next }, 'visibility change');
  const clip = await loadOwnClip(ctx, input.clipId, input.userId);
  if (clip.visibility === input.visibility) return clip;
  const updated = await ctx.clips.setVisibility(clip.id, input.visibility);
  if (!updated) throw notFound(clip.id);
  return updated;
}

/**
 * Posts a clip to a channel or as a direct message through the integrator's ClipSharer. Only
 * the owner shares; the authorize hook is asked with `share_clip` and the target channel. A
 * private clip is made public first (recipients must be able to open it) and made private
 * again if posting fails.
 */
export async function shareClip(
  ctx: ManagerContext,
  id: string,
  userId: string,
  raw: ShareClipInput,
): Promise<ShareClipResult> {
  const input = parseInput(shareSchema, { ...raw, clipId: id, userId }, 'share request');
  const sharer = ctx.clipSharer;
  if (!sharer) {
    throw new ReplayBufferError(
      ReplayErrorCode.DISABLED,
      'Sharing is not set up on this server: pass a clipSharer to ReplayBufferManager',
    );
  }
  const clip = await loadOwnClip(ctx, input.clipId, input.userId);
  const channelId = input.target === 'channel' ? (input.channelId ?? clip.channelId) : null;
  if (input.target === 'channel' && !channelId) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      'This clip was not recorded in a channel: give the channelId to share it to',
      { details: { fields: ['channelId'] } },
    );
  }
  await authorizeOrThrow(ctx, {
    userId: input.userId,
    action: 'share_clip',
    roomName: clip.roomName,
    channelId,
    communityId: clip.communityId,
    sessionId: clip.sessionId,
    clipId: clip.id,
  });
  const madePublic = clip.visibility !== 'public';
  const shared = madePublic ? await ctx.clips.setVisibility(clip.id, 'public') : clip;
  if (!shared) throw notFound(clip.id);
  const file = toFileRecord(shared);
  const message = input.message?.trim() || null;
  try {
    const { messageId } = await sharer.share({
      clip: shared,
      file,
      sharedByUserId: input.userId,
      target: input.target,
      channelId,
      recipientUserId: input.target === 'dm' ? (input.recipientUserId ?? null) : null,
      message,
    });
    return { clip: shared, file, messageId, madePublic };
  } catch (error) {
    if (madePublic) await ctx.clips.setVisibility(clip.id, 'private').catch(() => undefined);
    throw toReplayBufferError(error, ReplayErrorCode.INTERNAL, 'Posting the clip failed');
  }
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
export async function openClipStream(
  ctx: ManagerContext,
  id: string,
  viewerId: string,
  range?: ByteRange | string | null,
): Promise<ClipStream> {
  const input = parseInput(accessSchema, { clipId: id, userId: viewerId }, 'clip request');
  const clip = await loadReadableClip(ctx, input.clipId, input.userId);
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
    mimeType: clip.mimeType,
    filename: toFileRecord(clip).filename,
    sha256: clip.sha256,
  };
}

/** Opens a clip's poster JPEG (same access rules as the clip). CLIP_NOT_FOUND when it has none. */
export async function openClipPoster(
  ctx: ManagerContext,
  id: string,
  viewerId: string,
): Promise<PosterStream> {
  const input = parseInput(accessSchema, { clipId: id, userId: viewerId }, 'poster request');
  const clip = await loadReadableClip(ctx, input.clipId, input.userId);
  const sizeBytes = clip.posterKey ? await ctx.storage.size(clip.posterKey) : null;
  if (!clip.posterKey || sizeBytes === null) {
    throw new ReplayBufferError(ReplayErrorCode.CLIP_NOT_FOUND, `Clip ${clip.id} has no poster`, {
      details: { clipId: clip.id },
    });
  }
  return { stream: await ctx.storage.openRead(clip.posterKey), sizeBytes, mimeType: 'image/jpeg' };
}

/** The user's storage quota: limit, bytes used by clips, bytes reserved by saves in progress. */
export async function getQuotaUsage(ctx: ManagerContext, userId: string): Promise<QuotaUsage> {
  const input = parseInput(z.object({ userId: externalId }), { userId }, 'quota request');
  return ctx.quotas.getUsage(input.userId, ctx.config.defaultQuotaBytes);
}

/**
 * Sets one user's quota (bytes), overriding `defaultQuotaBytes`. An administrative call: the
 * integrator's route decides who may make it. Lowering it below what is used deletes nothing;
 * it only refuses new saves.
 */
export async function setUserQuota(ctx: ManagerContext, userId: string, bytes: number): Promise<QuotaUsage> {
  const input = parseInput(quotaSchema, { userId, bytes }, 'quota change');
  await ctx.quotas.setLimit(input.userId, input.bytes);
  return ctx.quotas.getUsage(input.userId, ctx.config.defaultQuotaBytes);
}
