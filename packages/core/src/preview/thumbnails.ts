import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { safeJoin } from '../ids.js';
import type { ManagerContext, PreviewUrlBuilder } from '../runtime/context.js';
import { previewCacheDirOf, pruneCacheDir } from '../runtime/preview-cache.js';
import { ensureCachedFromSegment } from '../runtime/segment-files.js';
import { readSessionIndex, segmentSourceOf } from '../runtime/session-lifecycle.js';
import type { Segment } from '../segments/types.js';
import { defaultPreviewUrl } from './playlist.js';
import { loadPreviewableSession, type PreviewRequest, readPreviewableIndex } from './preview.js';

export const DEFAULT_THUMBNAIL_COUNT = 10;
export const MAX_THUMBNAIL_COUNT = 60;
export const DEFAULT_THUMBNAIL_WIDTH = 160;
const MIN_WIDTH = 32;
const MAX_WIDTH = 640;

const THUMBNAIL_DIR = 'thumbnails';
/** `<segment stem>-w<width>.jpg`, e.g. `replay_00012-w160.jpg`. */
const THUMBNAIL_NAME = /^([A-Za-z0-9_-]{1,200})-w(\d{2,3})\.jpg$/;

export interface ThumbnailOptions extends PreviewRequest {
  /** Overrides the manager's preview URL builder for this answer. */
  urlFor?: PreviewUrlBuilder | undefined;
  /** How many instants, evenly spaced over the buffer (default 10, at most 60). */
  count?: number;
  /** JPEG width in pixels, even, 32–640 (default 160); the height keeps the aspect. */
  width?: number;
}

export interface TimelineThumbnail {
  /** The instant this tile stands for (evenly spaced: the middle of its slice of the buffer). */
  atMs: number;
  /** The wall-clock instant the picture really shows: the first frame of the segment holding `atMs`. */
  frameMs: number;
  /** File name to hand back to `openThumbnail`. */
  name: string;
  /** From the integrator's preview URL builder (`kind: 'thumbnail'`). */
  uri: string;
}

export interface TimelineThumbnails {
  sessionId: string;
  startMs: number;
  endMs: number;
  width: number;
  items: TimelineThumbnail[];
}

export interface ThumbnailStream {
  stream: Readable;
  sizeBytes: number;
  mimeType: 'image/jpeg';
}

function invalid(message: string, field: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message, { details: { field } });
}

function assertWidth(width: number): number {
  if (!Number.isInteger(width) || width < MIN_WIDTH || width > MAX_WIDTH || width % 2 !== 0) {
    throw invalid(`width must be an even number of pixels from ${MIN_WIDTH} to ${MAX_WIDTH}`, 'width');
  }
  return width;
}

const stemOf = (segment: Segment) => segment.name.replace(/\.ts$/, '');

/** The segment showing `atMs`: the one containing it, else the next one after a gap, else the last. */
function segmentAt(segments: readonly Segment[], atMs: number): Segment | undefined {
  for (const segment of segments) {
    if (atMs < segment.startMs + segment.durationSeconds * 1000) return segment;
  }
  return segments.at(-1);
}

/**
 * Tiles for a trim timeline: `count` instants evenly spaced over what the buffer holds now,
 * each pictured by the first frame (a keyframe, so it is cheap) of the segment containing it.
 * The JPEGs are made on demand by `openThumbnail` and cached per segment and width under
 * `clipsDir/.preview/<sessionId>/thumbnails/`, so a tile is computed once while its segment
 * stays in the buffer. Only the session's owner may ask.
 */
export async function getThumbnails(
  ctx: ManagerContext,
  options: ThumbnailOptions,
): Promise<TimelineThumbnails> {
  const count = options.count ?? DEFAULT_THUMBNAIL_COUNT;
  if (!Number.isInteger(count) || count < 1 || count > MAX_THUMBNAIL_COUNT) {
    throw invalid(`count must be an integer from 1 to ${MAX_THUMBNAIL_COUNT}`, 'count');
  }
  const width = assertWidth(options.width ?? DEFAULT_THUMBNAIL_WIDTH);
  const session = await loadPreviewableSession(ctx, options);
  const snapshot = await readPreviewableIndex(ctx, session);
  const startMs = snapshot.startMs ?? 0;
  const endMs = snapshot.endMs ?? startMs;
  const stems = new Set(snapshot.segments.map(stemOf));
  const dir = safeJoin(previewCacheDirOf(ctx, session.id), THUMBNAIL_DIR);
  await pruneCacheDir(ctx, dir, (name) => {
    const match = THUMBNAIL_NAME.exec(name);
    return name.includes('-partial-') || (match !== null && stems.has(match[1] ?? ''));
  });
  const urlFor = options.urlFor ?? ctx.previewUrl ?? defaultPreviewUrl;
  const slice = (endMs - startMs) / count;
  const items: TimelineThumbnail[] = [];
  for (let i = 0; i < count; i++) {
    const atMs = Math.round(startMs + (i + 0.5) * slice);
    const segment = segmentAt(snapshot.segments, atMs);
    if (!segment) continue;
    const name = `${stemOf(segment)}-w${width}.jpg`;
    items.push({
      atMs,
      frameMs: segment.startMs,
      name,
      uri: urlFor({ sessionId: session.id, name, kind: 'thumbnail' }),
    });
  }
  return { sessionId: session.id, startMs, endMs, width, items };
}

/**
 * Streams one timeline thumbnail named by `getThumbnails`, making and caching it on first use.
 * Names are checked against the session's current index (INVALID_INPUT for malformed ones,
 * RANGE_UNAVAILABLE once the segment left the buffer).
 */
export async function openThumbnail(
  ctx: ManagerContext,
  raw: PreviewRequest & { name: string },
): Promise<ThumbnailStream> {
  const { name } = raw;
  const match = typeof name === 'string' ? THUMBNAIL_NAME.exec(name) : null;
  if (!match) throw invalid('Not a thumbnail name', 'name');
  const width = assertWidth(Number(match[2]));
  const session = await loadPreviewableSession(ctx, raw);
  const source = segmentSourceOf(ctx, session);
  const snapshot = await readSessionIndex(ctx, session, source);
  const segment = snapshot.segments.find((s) => stemOf(s) === match[1]);
  if (!segment) {
    throw new ReplayBufferError(
      ReplayErrorCode.RANGE_UNAVAILABLE,
      `Thumbnail ${name} belongs to a segment no longer in the replay buffer; reload the timeline`,
      { details: { name } },
    );
  }
  const target = safeJoin(previewCacheDirOf(ctx, session.id), THUMBNAIL_DIR, name);
  await ensureCachedFromSegment(ctx, source, segment, target, (file, temp) =>
    ctx.media.poster(file, temp, 0, width),
  );
  const info = await stat(target);
  return { stream: createReadStream(target), sizeBytes: info.size, mimeType: 'image/jpeg' };
}
