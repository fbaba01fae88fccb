import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { ManagerContext } from '../runtime/context.js';
import { authorizeOrThrow } from '../runtime/session-lifecycle.js';
import type { ClipRecord } from '../types.js';

export function clipNotFound(id: string): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.CLIP_NOT_FOUND,
    `Clip ${id} does not exist or is not yours to see`,
    { details: { clipId: id } },
  );
}

/** Asks the authorize hook whether `viewerId` may view someone else's public clip. */
export function authorizeView(ctx: ManagerContext, clip: ClipRecord, viewerId: string): Promise<void> {
  return authorizeOrThrow(ctx, {
    userId: viewerId,
    action: 'view_clip',
    roomName: clip.roomName,
    channelId: clip.channelId,
    communityId: clip.communityId,
    sessionId: clip.sessionId,
    clipId: clip.id,
  });
}

/**
 * Loads a clip the caller may read. A private clip is its owner's alone: anyone else gets
 * CLIP_NOT_FOUND, exactly as for a clip that never existed, so ids cannot be probed. A public
 * clip is readable by whoever the authorize hook allows (`view_clip`; FORBIDDEN otherwise).
 */
export async function loadReadableClip(
  ctx: ManagerContext,
  id: string,
  viewerId: string,
): Promise<ClipRecord> {
  const clip = await ctx.clips.get(id);
  if (!clip) throw clipNotFound(id);
  if (clip.ownerId === viewerId) return clip;
  if (clip.visibility !== 'public') throw clipNotFound(id);
  await authorizeView(ctx, clip, viewerId);
  return clip;
}

/** Loads a clip the caller owns: private clips of others look missing, public ones are FORBIDDEN. */
export async function loadOwnClip(ctx: ManagerContext, id: string, userId: string): Promise<ClipRecord> {
  const clip = await ctx.clips.get(id);
  if (!clip || (clip.ownerId !== userId && clip.visibility !== 'public')) throw clipNotFound(id);
  if (clip.ownerId !== userId) {
    throw new ReplayBufferError(ReplayErrorCode.FORBIDDEN, 'Only the owner of a clip can change it', {
      details: { clipId: id },
    });
  }
  return clip;
}
