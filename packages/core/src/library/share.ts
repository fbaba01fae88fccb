import { z } from 'zod';
import {
  externalIdSchema,
  libraryIdSchema,
  type ShareTarget,
  shareTargetSchema,
} from '../contract/schemas.js';
import { ReplayBufferError, ReplayErrorCode, toReplayBufferError } from '../errors.js';
import type { ClipFileRecord } from '../ports/clip-sharer.js';
import { attempt, type ManagerContext } from '../runtime/context.js';
import { parseInput } from '../runtime/inputs.js';
import { authorizeOrThrow } from '../runtime/session-lifecycle.js';
import type { ClipRecord } from '../types.js';
import { clipNotFound, loadOwnClip } from './access.js';
import { toFileRecord } from './file-record.js';

const shareSchema = z.object({ clipId: libraryIdSchema, userId: externalIdSchema, share: shareTargetSchema });

export interface ShareClipResult {
  clip: ClipRecord;
  file: ClipFileRecord;
  messageId: string;
  /** True when sharing turned a private clip public (recipients must be able to open it). */
  madePublic: boolean;
}

/**
 * Posts a clip to a channel or as a direct message through the integrator's ClipSharer. Only
 * the owner shares; the authorize hook is asked with `share_clip` and the target channel. A
 * private clip is made public first (recipients must be able to open it) and made private
 * again if posting fails.
 */
export async function shareClip(
  ctx: ManagerContext,
  raw: { clipId: string; userId: string; share: ShareTarget },
): Promise<ShareClipResult> {
  const input = parseInput(shareSchema, raw, 'share request');
  const { share } = input;
  const sharer = ctx.clipSharer;
  if (!sharer) {
    throw new ReplayBufferError(
      ReplayErrorCode.DISABLED,
      'Sharing is not set up on this server: pass hooks.clipSharer to ReplayBufferManager',
    );
  }
  const clip = await loadOwnClip(ctx, input.clipId, input.userId);
  const channelId = share.target === 'channel' ? (share.channelId ?? clip.channelId) : null;
  if (share.target === 'channel' && !channelId) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      'This clip was not recorded in a channel: give the channelId to share it to',
      { details: { fields: ['share.channelId'] } },
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
  if (!shared) throw clipNotFound(clip.id);
  const file = toFileRecord(shared);
  const message = share.message?.trim() || null;
  try {
    const { messageId } = await sharer.share({
      clip: shared,
      file,
      sharedByUserId: input.userId,
      target: share.target,
      channelId,
      recipientUserId: share.target === 'dm' ? share.recipientUserId : null,
      message,
    });
    return { clip: shared, file, messageId, madePublic };
  } catch (error) {
    if (madePublic) {
      // Left public, a clip nobody was told about would be readable by others: report it.
      await attempt(
        ctx,
        { operation: 'making a clip private again after a failed share', clipId: clip.id },
        () => ctx.clips.setVisibility(clip.id, 'private'),
      );
    }
    throw toReplayBufferError(error, ReplayErrorCode.INTERNAL, 'Posting the clip failed');
  }
}
