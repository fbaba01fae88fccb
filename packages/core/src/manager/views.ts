import type { PreviewDto, ThumbnailsDto } from '../contract/schemas.js';
import type { PreviewPlaylist } from '../preview/playlist.js';
import type { TimelineThumbnails } from '../preview/thumbnails.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The trim preview's timeline as the contract's PreviewDto. */
export function toPreviewDto(
  preview: PreviewPlaylist,
  playlistUrl: string,
  frameRate: number | null,
): PreviewDto {
  return {
    sessionId: preview.sessionId,
    playlistUrl,
    start: iso(preview.startMs),
    end: iso(preview.endMs),
    durationSeconds: preview.durationSeconds,
    frameRate,
    segments: preview.segments.map((s) => ({
      name: s.name,
      offsetSeconds: s.offsetSeconds,
      start: iso(s.startMs),
      durationSeconds: s.durationSeconds,
    })),
  };
}

export function toThumbnailsDto(thumbnails: TimelineThumbnails): ThumbnailsDto {
  return {
    sessionId: thumbnails.sessionId,
    start: iso(thumbnails.startMs),
    end: iso(thumbnails.endMs),
    width: thumbnails.width,
    items: thumbnails.items.map((item) => ({ name: item.name, at: iso(item.atMs), url: item.uri })),
  };
}
