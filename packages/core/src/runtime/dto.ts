import type { ClipDto, PublicClipDto, QuotaDto } from '../contract/schemas.js';
import type { QuotaUsage } from '../ports/quota-ledger.js';
import type { ClipRecord } from '../types.js';

/** A clip as its owner sees it (the contract's ClipDto: instants as ISO strings). */
export function toClipDto(clip: ClipRecord): ClipDto {
  return {
    id: clip.id,
    ownerId: clip.ownerId,
    sessionId: clip.sessionId,
    channelId: clip.channelId,
    title: clip.title,
    visibility: clip.visibility,
    durationSeconds: clip.durationSeconds,
    sizeBytes: clip.sizeBytes,
    width: clip.width,
    height: clip.height,
    mimeType: clip.mimeType,
    sha256: clip.sha256,
    requestedStart: clip.requestedStart.toISOString(),
    requestedEnd: clip.requestedEnd.toISOString(),
    actualStart: clip.actualStart.toISOString(),
    actualEnd: clip.actualEnd.toISOString(),
    hasPoster: clip.posterKey !== null,
    metadata: {
      clampedStart: clip.metadata.clampedStart,
      clampedEnd: clip.metadata.clampedEnd,
      gaps: clip.metadata.gaps,
      cutMode: clip.metadata.cutMode,
      segmentCount: clip.metadata.segmentCount,
    },
    createdAt: clip.createdAt.toISOString(),
  };
}

/** A clip as anyone else sees it: no session, room, storage key, hash or capture metadata. */
export function toPublicClipDto(clip: ClipRecord): PublicClipDto {
  return {
    id: clip.id,
    ownerId: clip.ownerId,
    title: clip.title,
    visibility: clip.visibility,
    durationSeconds: clip.durationSeconds,
    sizeBytes: clip.sizeBytes,
    width: clip.width,
    height: clip.height,
    mimeType: clip.mimeType,
    actualStart: clip.actualStart.toISOString(),
    actualEnd: clip.actualEnd.toISOString(),
    hasPoster: clip.posterKey !== null,
    createdAt: clip.createdAt.toISOString(),
  };
}

/** The owner's view or the public one, by who is looking. */
export function toClipDtoFor(clip: ClipRecord, viewerId: string): ClipDto | PublicClipDto {
  return clip.ownerId === viewerId ? toClipDto(clip) : toPublicClipDto(clip);
}

export function toQuotaDto(usage: QuotaUsage): QuotaDto {
  return {
    userId: usage.userId,
    limitBytes: usage.limitBytes,
    usedBytes: usage.usedBytes,
    reservedBytes: usage.reservedBytes,
  };
}
