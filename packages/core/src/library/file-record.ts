import type { ClipFileRecord } from '../ports/clip-sharer.js';
import type { ClipRecord } from '../types.js';

export type { ClipFileRecord } from '../ports/clip-sharer.js';

/** `replay-2026-11-21_13-45-07` style stamp, UTC, safe in every filesystem. */
function fileStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace('T', '_')
    .replaceAll(':', '-');
}

/** Title → a short, portable file-name stem (ASCII letters, digits, dashes). */
function slug(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/g, '');
}

/**
 * Describes a clip as a record compatible with the seed's `File` model
 * (`resourceType: 'REPLAY_CLIP'`). The file name is the title (slugged) or `replay`, plus the
 * UTC start of what the clip shows, so downloads sort by time.
 */
export function toFileRecord(clip: ClipRecord): ClipFileRecord {
  const stem = (clip.title && slug(clip.title)) || 'replay';
  const extension = clip.mimeType === 'video/mp4' ? 'mp4' : (clip.storageKey.split('.').pop() ?? 'bin');
  return {
    id: clip.id,
    filename: `${stem}-${fileStamp(clip.actualStart)}.${extension}`,
    mimeType: clip.mimeType,
    size: clip.sizeBytes,
    checksum: clip.sha256,
    resourceType: 'REPLAY_CLIP',
    storagePath: clip.storageKey,
    uploadedById: clip.ownerId,
    createdAt: clip.createdAt,
  };
}
