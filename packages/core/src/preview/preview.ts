import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { safeJoin } from '../ids.js';
import type { ManagerContext, PreviewUrlBuilder } from '../runtime/context.js';
import { currentSessionSchema, parseInput } from '../runtime/inputs.js';
import { previewCacheDirOf, pruneCacheDir } from '../runtime/preview-cache.js';
import { ensureCachedFromSegment, withSegmentFile } from '../runtime/segment-files.js';
import {
  authorizeOrThrow,
  readSessionIndex,
  resolveSession,
  segmentSourceOf,
} from '../runtime/session-lifecycle.js';
import type { SegmentIndexSnapshot } from '../segments/types.js';
import type { ReplaySession } from '../types.js';
import { buildPreviewPlaylist, defaultPreviewUrl, type PreviewPlaylist } from './playlist.js';

export interface PreviewSegmentStream {
  stream: Readable;
  sizeBytes: number;
  mimeType: 'video/mp2t';
}

export interface PreviewRequest {
  userId: string;
  /** Omitted: the user's live buffer, else the one that just ended (still kept). */
  sessionId?: string | undefined;
}

const SEGMENT_NAME = /^[A-Za-z0-9_-]{1,200}\.ts$/;

/** Loads the session the caller owns (given or current) and asks the authorize hook (`preview`). */
export async function loadPreviewableSession(
  ctx: ManagerContext,
  raw: PreviewRequest,
): Promise<ReplaySession> {
  const input = parseInput(
    currentSessionSchema,
    { userId: raw.userId, sessionId: raw.sessionId },
    'preview request',
  );
  const session = await resolveSession(ctx, input.userId, input.sessionId);
  await authorizeOrThrow(ctx, {
    userId: session.userId,
    action: 'preview',
    roomName: session.roomName,
    channelId: session.channelId,
    communityId: session.communityId,
    sessionId: session.id,
  });
  return session;
}

export async function readPreviewableIndex(
  ctx: ManagerContext,
  session: ReplaySession,
): Promise<SegmentIndexSnapshot> {
  const snapshot = await readSessionIndex(ctx, session);
  if (snapshot.segments.length === 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.NO_SEGMENTS,
      'The replay buffer is still warming up (or its recording is gone): nothing to preview yet',
      { details: { sessionId: session.id } },
    );
  }
  return snapshot;
}

/**
 * A VOD HLS playlist (EXT-X-PLAYLIST-TYPE:VOD, a PROGRAM-DATE-TIME per segment, ENDLIST) over
 * the buffer as it is now, for the trim preview. Only the session's owner may ask. Cached
 * remuxes of segments that have left the buffer are removed on the way.
 */
export async function getPreview(
  ctx: ManagerContext,
  raw: PreviewRequest & { urlFor?: PreviewUrlBuilder | undefined; withFrameRate?: boolean },
): Promise<PreviewPlaylist & { frameRate: number | null }> {
  const session = await loadPreviewableSession(ctx, raw);
  const snapshot = await readPreviewableIndex(ctx, session);
  const names = new Set(snapshot.segments.map((s) => s.name));
  const dir = previewCacheDirOf(ctx, session.id);
  // In-flight writes ("-partial-") are left alone; a crash's leftovers go with the session.
  await pruneCacheDir(
    ctx,
    dir,
    (name) => names.has(name) || name === 'thumbnails' || name.includes('-partial-'),
  );
  const playlist = buildPreviewPlaylist(
    session.id,
    snapshot.segments,
    raw.urlFor ?? ctx.previewUrl ?? defaultPreviewUrl,
  );
  const frameRate = raw.withFrameRate ? await sessionFrameRate(ctx, snapshot, session) : null;
  return { ...playlist, frameRate };
}

/** Frame rate of the session's video (probed once per session), so a trim UI can step a frame. */
const frameRates = new WeakMap<ManagerContext, Map<string, number | null>>();

async function sessionFrameRate(ctx: ManagerContext, snapshot: SegmentIndexSnapshot, session: ReplaySession) {
  let known = frameRates.get(ctx);
  if (!known) {
    known = new Map();
    frameRates.set(ctx, known);
  }
  if (known.has(session.id)) return known.get(session.id) ?? null;
  const first = snapshot.segments[0];
  // A missing frame rate only disables frame stepping: not worth failing the preview for.
  const rate = first
    ? await withSegmentFile(
        segmentSourceOf(ctx, session),
        first,
        previewCacheDirOf(ctx, session.id),
        (file) => ctx.media.probe(file),
      ).then(
        (p) => p.frameRate,
        () => null,
      )
    : null;
  if (known.size > 1000) known.clear();
  known.set(session.id, rate);
  return rate;
}

/**
 * Streams one preview segment: a clean MPEG-TS remux (`-c copy`, timestamps kept) of a segment
 * in the session's current index, cached under `clipsDir/.preview/<sessionId>/`. Only names the
 * index lists are served (anything else: INVALID_INPUT for malformed names, RANGE_UNAVAILABLE
 * for segments no longer in the buffer), so a name can never reach another file.
 */
export async function openPreviewSegment(
  ctx: ManagerContext,
  raw: PreviewRequest & { name: string },
): Promise<PreviewSegmentStream> {
  const segmentName = raw.name;
  if (typeof segmentName !== 'string' || !SEGMENT_NAME.test(segmentName)) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'Not a preview segment name', {
      details: { field: 'name' },
    });
  }
  const session = await loadPreviewableSession(ctx, raw);
  const source = segmentSourceOf(ctx, session);
  const snapshot = await readSessionIndex(ctx, session, source);
  const segment = snapshot.segments.find((s) => s.name === segmentName);
  if (!segment) throw segmentGone(segmentName);
  const cached = safeJoin(previewCacheDirOf(ctx, session.id), segment.name);
  const remux = ctx.media.remuxSegment?.bind(ctx.media);
  if (!remux) {
    throw new ReplayBufferError(
      ReplayErrorCode.MEDIA_ERROR,
      'The media pipeline cannot remux preview segments',
    );
  }
  await ensureCachedFromSegment(ctx, source, segment, cached, (file, temp) => remux(file, temp));
  const info = await stat(cached).catch(() => null); // pruned meanwhile: answered as gone below
  if (!info) throw segmentGone(segmentName);
  return { stream: createReadStream(cached), sizeBytes: info.size, mimeType: 'video/mp2t' };
}

function segmentGone(name: string): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.RANGE_UNAVAILABLE,
    `Segment ${name} is not (or no longer) in the replay buffer; reload the preview`,
    { details: { segmentName: name } },
  );
}
