import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { PreviewUrlBuilder } from '../runtime/context.js';
import type { Segment } from '../segments/types.js';

/** Default: the bare name (playlist and segments served from the same directory-like route). */
export const defaultPreviewUrl: PreviewUrlBuilder = ({ sessionId, name, kind }) => {
  if (kind === 'playlist') return `preview/playlist.m3u8?sessionId=${encodeURIComponent(sessionId)}`;
  return kind === 'segment' ? encodeURIComponent(name) : `thumbnails/${encodeURIComponent(name)}`;
};

export interface PreviewSegment {
  name: string;
  uri: string;
  /** Wall-clock start (the segment's EXT-X-PROGRAM-DATE-TIME), epoch ms. */
  startMs: number;
  durationSeconds: number;
  /** Where the segment starts on the player's timeline (seconds from the playlist start). */
  offsetSeconds: number;
  /** Media is missing just before this segment (EXT-X-DISCONTINUITY is written). */
  afterGap: boolean;
}

/**
 * A VOD HLS playlist over what the buffer holds now, for a trim UI (hls.js).
 *
 * Mapping to a capture range: the player's time `t` (seconds from the start of this playlist,
 * hls.js `currentTime`) lies in the segment with `offsetSeconds ≤ t < offsetSeconds +
 * durationSeconds`, and shows the wall-clock instant `startMs + (t − offsetSeconds)·1000` —
 * the segment's EXT-X-PROGRAM-DATE-TIME plus the offset into it (hls.js `playingDate` gives the
 * same). Pass those instants as `startAt`/`endAt` to captureReplay: capture reads the same
 * segment index, so the clip begins and ends on the frames the user saw (accurate mode).
 * `previewTimeToWallClock` does the arithmetic.
 */
export interface PreviewPlaylist {
  sessionId: string;
  /** The playlist text (`application/vnd.apple.mpegurl`). */
  playlist: string;
  mimeType: 'application/vnd.apple.mpegurl';
  /** Wall-clock span covered, epoch ms. */
  startMs: number;
  endMs: number;
  /** Length of the player's timeline (gaps are skipped). */
  durationSeconds: number;
  segments: PreviewSegment[];
}

const segmentEndMs = (s: Segment) => s.startMs + s.durationSeconds * 1000;

/** Formats an HLS duration: milliseconds precision, as LiveKit writes EXTINF. */
function hlsSeconds(value: number): string {
  return value.toFixed(3);
}

/** Builds the VOD playlist text and the timeline for `segments` (oldest first). */
export function buildPreviewPlaylist(
  sessionId: string,
  segments: readonly Segment[],
  urlFor: PreviewUrlBuilder,
  gapToleranceMs = 250,
): PreviewPlaylist {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-PLAYLIST-TYPE:VOD'];
  const target = Math.max(1, ...segments.map((s) => Math.ceil(s.durationSeconds)));
  lines.push(`#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0');
  // LiveKit cuts segments on keyframes, so each one decodes on its own.
  lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  const timeline: PreviewSegment[] = [];
  let offset = 0;
  let previous: Segment | undefined;
  for (const segment of segments) {
    const afterGap = previous !== undefined && segment.startMs - segmentEndMs(previous) > gapToleranceMs;
    const uri = urlFor({ sessionId, name: segment.name, kind: 'segment' });
    if (afterGap) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(segment.startMs).toISOString()}`);
    lines.push(`#EXTINF:${hlsSeconds(segment.durationSeconds)},`, uri);
    timeline.push({
      name: segment.name,
      uri,
      startMs: segment.startMs,
      durationSeconds: segment.durationSeconds,
      offsetSeconds: offset,
      afterGap,
    });
    offset += Number(hlsSeconds(segment.durationSeconds));
    previous = segment;
  }
  lines.push('#EXT-X-ENDLIST', '');
  const first = segments[0];
  const last = segments.at(-1);
  return {
    sessionId,
    playlist: lines.join('\n'),
    mimeType: 'application/vnd.apple.mpegurl',
    startMs: first ? first.startMs : 0,
    endMs: last ? segmentEndMs(last) : 0,
    durationSeconds: offset,
    segments: timeline,
  };
}

/**
 * The wall-clock instant (epoch ms) shown at player time `seconds` of a preview, for
 * captureReplay's `startAt`/`endAt`. Times before the start or past the end are clamped.
 */
export function previewTimeToWallClock(preview: Pick<PreviewPlaylist, 'segments'>, seconds: number): number {
  const { segments } = preview;
  const first = segments[0];
  if (!first) throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'the preview has no segments');
  let hit = first;
  for (const segment of segments) {
    if (segment.offsetSeconds <= seconds) hit = segment;
    else break;
  }
  const within = Math.min(Math.max(0, seconds - hit.offsetSeconds), hit.durationSeconds);
  return hit.startMs + within * 1000;
}

/** The inverse: player time (seconds) at which a wall-clock instant is shown; gaps map to the next media. */
export function wallClockToPreviewTime(preview: Pick<PreviewPlaylist, 'segments'>, epochMs: number): number {
  let end = 0;
  for (const segment of preview.segments) {
    if (epochMs < segment.startMs) return segment.offsetSeconds;
    end = segment.offsetSeconds + segment.durationSeconds;
    if (epochMs < segment.startMs + segment.durationSeconds * 1000) {
      return segment.offsetSeconds + (epochMs - segment.startMs) / 1000;
    }
  }
  return end;
}
