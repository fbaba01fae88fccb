import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { isSafeId, safeJoin } from '../ids.js';
import { resolveFfmpegPath, runMedia, segmentInputArgs } from '../media/process-runner.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';
import type { ReplaySession } from '../types.js';
import type { ManagerContext } from './context.js';
import { parseInput, sessionAccessSchema } from './inputs.js';
import { authorizeOrThrow, loadOwnedSession, readSessionIndex } from './session-lifecycle.js';

/** Directory under `clipsDir` for remuxed preview segments and timeline thumbnails. */
export const PREVIEW_CACHE_DIR = '.preview';

/**
 * Builds the URI a preview playlist lists for a segment, or the URI of a timeline thumbnail.
 * `name` is a bare file name (`replay_00012.ts`, `replay_00012-w160.jpg`) that the route hands
 * back to `resolvePreviewSegment` / `resolveThumbnail`. Relative URIs resolve against the
 * playlist's own URL.
 */
export type PreviewUrlBuilder = (info: {
  sessionId: string;
  name: string;
  kind: 'segment' | 'thumbnail';
}) => string;

/** Default: the bare name (playlist and segments served from the same directory-like route). */
export const defaultPreviewUrl: PreviewUrlBuilder = ({ name, kind }) =>
  kind === 'segment' ? encodeURIComponent(name) : `thumbnails/${encodeURIComponent(name)}`;

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

export interface PreviewSegmentStream {
  stream: Readable;
  sizeBytes: number;
  mimeType: 'video/mp2t';
}

const SEGMENT_NAME = /^[A-Za-z0-9_-]{1,200}\.ts$/;

/** Remuxes in flight, by cache path: one ffmpeg per segment however many requests ask. */
const inFlight = new Map<string, Promise<void>>();

/** Bounds concurrent ffmpeg runs for previews and thumbnails in this process. */
class Gate {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly capacity: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.capacity) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
export const previewFfmpegGate = new Gate(2);

/** `clipsDir/.preview/<sessionId>` */
export function previewCacheDirOf(ctx: ManagerContext, sessionId: string): string {
  // safeJoin refuses dot-names: join the fixed directory first, then check the id.
  return safeJoin(path.join(ctx.config.clipsDir, PREVIEW_CACHE_DIR), sessionId);
}

/** Removes a session's preview cache (remuxed segments, thumbnails). Call it with the segments' sweep. */
export async function deletePreviewCache(ctx: ManagerContext, sessionId: string): Promise<void> {
  await rm(previewCacheDirOf(ctx, sessionId), { recursive: true, force: true });
}

/**
 * Removes the preview caches of sessions that are gone: no record, or ended longer ago than
 * `retainAfterStopSeconds` (their segments are deleted then too). Meant for the segment
 * cleanup job; returns how many session caches were removed.
 */
export async function sweepPreviewCaches(ctx: ManagerContext, now = Date.now()): Promise<number> {
  const root = path.join(ctx.config.clipsDir, PREVIEW_CACHE_DIR);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const session = isSafeId(name) ? await ctx.sessions.get(name) : null;
    const expired =
      !session ||
      (session.endedAt !== null &&
        now - session.endedAt.getTime() > ctx.config.retainAfterStopSeconds * 1000);
    if (!expired) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * Removes cache entries whose segment left the buffer (and leftovers of interrupted writes).
 * `keep` says whether a cached file name still belongs to a segment in the index.
 */
export async function pruneCacheDir(dir: string, keep: (name: string) => boolean): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(
    names
      .filter((name) => !keep(name))
      .map((name) => rm(path.join(dir, name), { recursive: true, force: true }).catch(() => undefined)),
  );
}

/** Loads the session the caller owns and asks the authorize hook (`preview`). */
export async function loadPreviewableSession(
  ctx: ManagerContext,
  sessionId: string,
  userId: string,
): Promise<ReplaySession> {
  const input = parseInput(sessionAccessSchema, { sessionId, userId }, 'preview request');
  const session = await loadOwnedSession(ctx, input.sessionId, input.userId);
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

/**
 * A VOD HLS playlist (EXT-X-PLAYLIST-TYPE:VOD, a PROGRAM-DATE-TIME per segment, ENDLIST) over
 * the buffer as it is now, for the trim preview. Only the session's owner may ask. Cached
 * remuxes of segments that have left the buffer are removed on the way.
 */
export async function getPreview(
  ctx: ManagerContext,
  sessionId: string,
  userId: string,
): Promise<PreviewPlaylist> {
  const session = await loadPreviewableSession(ctx, sessionId, userId);
  const snapshot = await readPreviewableIndex(ctx, session);
  const names = new Set(snapshot.segments.map((s) => s.name));
  const dir = previewCacheDirOf(ctx, session.id);
  // In-flight writes ("-partial-") are left alone; a crash's leftovers go with the session.
  await pruneCacheDir(dir, (name) => names.has(name) || name === 'thumbnails' || name.includes('-partial-'));
  return buildPreviewPlaylist(session.id, snapshot.segments, ctx.previewUrl ?? defaultPreviewUrl);
}

/**
 * Streams one preview segment: a clean MPEG-TS remux (`-c copy`, timestamps kept) of a segment
 * in the session's current index, cached under `clipsDir/.preview/<sessionId>/`. Only names the
 * index lists are served (anything else: INVALID_INPUT for malformed names, RANGE_UNAVAILABLE
 * for segments no longer in the buffer), so a name can never reach another file.
 */
export async function resolvePreviewSegment(
  ctx: ManagerContext,
  sessionId: string,
  userId: string,
  segmentName: string,
): Promise<PreviewSegmentStream> {
  if (typeof segmentName !== 'string' || !SEGMENT_NAME.test(segmentName)) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'Not a preview segment name', {
      details: { field: 'segmentName' },
    });
  }
  const session = await loadPreviewableSession(ctx, sessionId, userId);
  const snapshot = await readSessionIndex(ctx, session);
  const segment = snapshot.segments.find((s) => s.name === segmentName);
  if (!segment) throw segmentGone(segmentName);
  const cached = safeJoin(previewCacheDirOf(ctx, session.id), segment.name);
  await ensureCached(cached, (temp) => remuxSegment(ctx, segment.path, temp));
  const info = await stat(cached).catch(() => null);
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

/**
 * Makes sure `target` exists, producing it with `produce(tempPath)` once (concurrent callers
 * share the work) and publishing it with an atomic rename. A failed run leaves nothing behind.
 */
export async function ensureCached(
  target: string,
  produce: (tempPath: string) => Promise<void>,
): Promise<void> {
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    return;
  let job = inFlight.get(target);
  if (!job) {
    job = (async () => {
      await mkdir(path.dirname(target), { recursive: true });
      const ext = path.extname(target);
      const temp = path.join(
        path.dirname(target),
        `${path.basename(target, ext)}-partial-${randomBytes(4).toString('hex')}${ext}`,
      );
      try {
        await previewFfmpegGate.run(() => produce(temp));
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw error;
      }
    })().finally(() => inFlight.delete(target));
    inFlight.set(target, job);
  }
  await job;
}

/** `ffmpeg -c copy` into a fresh MPEG-TS: clean PAT/PMT, original timestamps (no shift). */
function remuxSegment(ctx: ManagerContext, input: string, output: string): Promise<void> {
  return runFfmpeg(resolveFfmpegPath(ctx.config.ffmpegPath), [
    '-nostdin',
    '-v',
    'error',
    '-y',
    ...segmentInputArgs(input),
    '-map',
    '0:v?',
    '-map',
    '0:a?',
    '-c',
    'copy',
    '-copyts',
    '-muxdelay',
    '0',
    '-muxpreload',
    '0',
    '-f',
    'mpegts',
    output,
  ]);
}

/** Runs ffmpeg to completion through the media runner (bounded by `timeoutMs`; MEDIA_ERROR on failure). */
export async function runFfmpeg(ffmpeg: string, args: string[], timeoutMs = 30_000): Promise<void> {
  await runMedia({ binary: ffmpeg, args, timeoutMs, stdout: 'ignore' });
}
