import { z } from 'zod';
import { clipVisibilitySchema, externalIdSchema, libraryIdSchema } from '../contract/schemas.js';
import type { ClipPage } from '../ports/clip-store.js';
import type { QuotaUsage } from '../ports/quota-ledger.js';
import { attempt, type ManagerContext } from '../runtime/context.js';
import { parseInput } from '../runtime/inputs.js';
import type { ClipRecord } from '../types.js';
import { authorizeView, clipNotFound, loadOwnClip, loadReadableClip } from './access.js';

const pageFields = {
  cursor: z.string().min(1).max(512).nullish(),
  limit: z.number().int().min(1).max(100).optional(),
};
const listSchema = z.object({ userId: externalIdSchema, ...pageFields });
const publicListSchema = z.object({
  ownerId: externalIdSchema,
  viewerId: externalIdSchema.optional(),
  ...pageFields,
});
const viewSchema = z.object({ clipId: libraryIdSchema, viewerId: externalIdSchema });
const ownSchema = z.object({ clipId: libraryIdSchema, userId: externalIdSchema });
const updateSchema = z
  .object({
    clipId: libraryIdSchema,
    userId: externalIdSchema,
    visibility: clipVisibilitySchema.optional(),
    title: z.string().max(200).nullable().optional(),
  })
  .refine((v) => v.visibility !== undefined || v.title !== undefined, { message: 'nothing to change' });
const quotaSchema = z.object({ userId: externalIdSchema });
const setQuotaSchema = z.object({
  userId: externalIdSchema,
  limitBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

export interface ListClipsInput {
  userId: string;
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: string | null;
  /** Page size, 1–100 (default 20). */
  limit?: number;
}

export interface ListPublicClipsInput {
  ownerId: string;
  /**
   * Who is looking. When set and an authorize hook is configured, clips the hook refuses
   * (`view_clip`) are left out of the page (so a page may hold fewer than `limit` items).
   */
  viewerId?: string;
  cursor?: string | null;
  limit?: number;
}

export interface DeleteClipResult {
  /** False when the clip was already gone (deleting twice is not an error). */
  deleted: boolean;
  /** Quota bytes given back to the owner. */
  freedBytes: number;
}

const pageOptions = (input: { cursor?: string | null | undefined; limit?: number | undefined }) => ({
  cursor: input.cursor ?? null,
  ...(input.limit === undefined ? {} : { limit: input.limit }),
});

/** The user's own clips, newest first, every visibility. */
export async function listClips(ctx: ManagerContext, raw: ListClipsInput): Promise<ClipPage> {
  const input = parseInput(listSchema, raw, 'clip listing');
  return ctx.clips.listByOwner(input.userId, pageOptions(input));
}

/** A user's public clips, newest first (a profile page). */
export async function listPublicClips(ctx: ManagerContext, raw: ListPublicClipsInput): Promise<ClipPage> {
  const input = parseInput(publicListSchema, raw, 'public clip listing');
  const result = await ctx.clips.listByOwner(input.ownerId, { ...pageOptions(input), visibility: 'public' });
  const { viewerId } = input;
  if (viewerId === undefined || viewerId === input.ownerId || !ctx.authorize) return result;
  const allowed: ClipRecord[] = [];
  for (const clip of result.items) {
    const ok = await authorizeView(ctx, clip, viewerId).then(
      () => true,
      () => false,
    );
    if (ok) allowed.push(clip);
  }
  // The cursor still points past the last item read, so skipped clips never reappear.
  return { items: allowed, nextCursor: result.nextCursor };
}

/** One clip, if `viewerId` may see it (owner, or a public clip the authorize hook allows). */
export async function getClip(
  ctx: ManagerContext,
  raw: { clipId: string; viewerId: string },
): Promise<ClipRecord> {
  const input = parseInput(viewSchema, raw, 'clip request');
  return loadReadableClip(ctx, input.clipId, input.viewerId);
}

/**
 * Deletes a clip: its file and poster, then its record, then gives its bytes back to the
 * owner's quota. Files go first so a failure leaves a record the owner can delete again, never
 * an unaccounted file; the record's removal is atomic, so concurrent deletes free the quota once.
 * Deleting a clip that is already gone resolves with `deleted: false` (so does someone else's
 * private clip: it looks missing); someone else's public clip is FORBIDDEN.
 */
export async function deleteClip(
  ctx: ManagerContext,
  raw: { clipId: string; userId: string },
): Promise<DeleteClipResult> {
  const input = parseInput(ownSchema, raw, 'delete request');
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
  const records = ctx.clipFileRecords;
  if (records) {
    await attempt(
      ctx,
      { operation: 'removing the clip from the host app (clipFileRecords.deleted)', clipId: removed.id },
      () => records.deleted({ clip: removed }),
    );
  }
  return { deleted: true, freedBytes: removed.sizeBytes };
}

/** Changes a clip's visibility (public: readable by others the authorize hook allows) or title. */
export async function updateClip(
  ctx: ManagerContext,
  raw: { clipId: string; userId: string; visibility?: 'private' | 'public'; title?: string | null },
): Promise<ClipRecord> {
  const input = parseInput(updateSchema, raw, 'clip update');
  let clip = await loadOwnClip(ctx, input.clipId, input.userId);
  if (input.title !== undefined && input.title !== clip.title) {
    const renamed = await ctx.clips.setTitle(clip.id, input.title);
    if (!renamed) throw clipNotFound(clip.id);
    clip = renamed;
  }
  if (input.visibility !== undefined && clip.visibility !== input.visibility) {
    const updated = await ctx.clips.setVisibility(clip.id, input.visibility);
    if (!updated) throw clipNotFound(clip.id);
    clip = updated;
  }
  return clip;
}

/** The user's storage quota: limit, bytes used by clips, bytes reserved by saves in progress. */
export async function getQuota(ctx: ManagerContext, raw: { userId: string }): Promise<QuotaUsage> {
  const input = parseInput(quotaSchema, raw, 'quota request');
  return ctx.quotas.getUsage(input.userId, ctx.config.defaultQuotaBytes);
}

/**
 * Sets one user's quota (bytes), overriding `defaultQuotaBytes`. An administrative call: the
 * integrator's route decides who may make it. Lowering it below what is used deletes nothing;
 * it only refuses new saves.
 */
export async function setUserQuota(
  ctx: ManagerContext,
  raw: { userId: string; limitBytes: number },
): Promise<QuotaUsage> {
  const input = parseInput(setQuotaSchema, raw, 'quota change');
  await ctx.quotas.setLimit(input.userId, input.limitBytes);
  return ctx.quotas.getUsage(input.userId, ctx.config.defaultQuotaBytes);
}
