import { mkdir, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode, toReplayBufferError } from '../errors.js';
import { newId, safeJoin } from '../ids.js';
import type { PendingWrite } from '../ports/clip-storage.js';
import { selectSegments, waitForCoverage } from '../segments/select.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';
import type { ClipRecord, ReplaySession } from '../types.js';
import type { ManagerContext } from './context.js';
import { notifyUser } from './context.js';
import { type CaptureReplayInput, captureInputSchema, parseInput } from './inputs.js';
import { authorizeOrThrow, isLive, loadOwnedSession, readSessionIndex } from './session-lifecycle.js';

/** Scratch space for intermediate media files, beside the clips (same filesystem). */
const WORK_DIR = '.work';

interface RequestedRange {
  startMs: number;
  endMs: number;
}

/**
 * Turns the request into a wall-clock range. Durations and offsets count back from `anchorMs`
 * (now for a live buffer, the end of the recording for one that has ended).
 */
function resolveRange(
  input: ReturnType<typeof parseCapture>,
  anchorMs: number,
  now: number,
  maxSeconds: number,
): RequestedRange {
  let range: RequestedRange;
  if (input.durationSeconds !== undefined) {
    range = { startMs: anchorMs - input.durationSeconds * 1000, endMs: anchorMs };
  } else if (input.startAt !== undefined) {
    range = { startMs: input.startAt.getTime(), endMs: (input.endAt ?? new Date(anchorMs)).getTime() };
  } else {
    const startOffset = input.startOffsetSeconds ?? 0;
    const endOffset = input.endOffsetSeconds ?? 0;
    range = { startMs: anchorMs - startOffset * 1000, endMs: anchorMs - endOffset * 1000 };
  }
  if (!(range.endMs > range.startMs)) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'The range must start before it ends', {
      details: { startMs: range.startMs, endMs: range.endMs },
    });
  }
  if (range.endMs > now + 1000) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'The range cannot end in the future');
  }
  if ((range.endMs - range.startMs) / 1000 > maxSeconds) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `A clip can be at most ${maxSeconds} s long`, {
      details: { maxSeconds },
    });
  }
  return range;
}

function parseCapture(raw: CaptureReplayInput) {
  return parseInput(captureInputSchema, raw, 'capture request');
}

/** The session may be saved from while live, and for the retention period after it ended. */
function assertCapturable(ctx: ManagerContext, session: ReplaySession, now: number): void {
  if (isLive(session)) return;
  const endedAt = session.endedAt?.getTime() ?? 0;
  if (now - endedAt > ctx.config.retainAfterStopSeconds * 1000) {
    throw new ReplayBufferError(
      ReplayErrorCode.SESSION_NOT_ACTIVE,
      'This replay buffer has ended and its recording is no longer kept',
      { details: { sessionId: session.id, status: session.status } },
    );
  }
}

/** Estimated output bytes from the buffered segments' real bitrate, with headroom for the re-encoded head. */
export function estimateClipBytes(snapshot: SegmentIndexSnapshot, seconds: number): number {
  const bytes = snapshot.segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  const duration = snapshot.segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  if (duration <= 0) return 0;
  return Math.ceil((bytes / duration) * seconds * 1.05 + 256 * 1024);
}

/**
 * Bytes reserved before a save: an upper bound from the segments it reads. Stream-copied parts
 * come out no bigger than their MPEG-TS (MP4 carries less overhead); in accurate mode the
 * re-encoded head (at most the first segment) is capped by the pipeline near twice the source
 * bitrate, so the first segment is counted twice. (The bitrate-based `estimateClipBytes` is what
 * the UI shows; it can be short by up to a segment in fast mode, where the start snaps back.)
 */
export function reservationBytes(segments: readonly Segment[], mode: 'accurate' | 'fast'): number {
  const total = segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  const head = mode === 'accurate' ? (segments[0]?.sizeBytes ?? 0) : 0;
  return total + head + 64 * 1024;
}

/**
 * Saves a wall-clock range of the buffer as an MP4 clip. Ends at the requested instant
 * (waiting, bounded, for the segment in progress), clamps to what exists and says so.
 * Reserves quota before any ffmpeg work; on every failure, nothing is left behind: no
 * partial file, no temp file, no reservation, no record.
 */
export async function captureReplay(ctx: ManagerContext, raw: CaptureReplayInput): Promise<ClipRecord> {
  const input = parseCapture(raw);
  const session = await loadOwnedSession(ctx, input.sessionId, input.userId);
  const now = Date.now();
  assertCapturable(ctx, session, now);
  await authorizeOrThrow(ctx, {
    userId: session.userId,
    action: 'capture',
    roomName: session.roomName,
    channelId: session.channelId,
    communityId: session.communityId,
    sessionId: session.id,
  });

  resolveRange(input, now, now, ctx.config.maxCaptureSeconds); // bad ranges fail before any I/O

  // A live session is confirmed with LiveKit first: if it cannot be reached, answer
  // "try again" (EGRESS_UNAVAILABLE) before writing anything.
  if (isLive(session) && session.egressId) await ctx.egress.getEgress(session.egressId);

  let snapshot = await readSessionIndex(ctx, session);
  if (snapshot.segments.length === 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.NO_SEGMENTS,
      'The replay buffer is still warming up: nothing has been recorded yet. Try again in a few seconds',
      { details: { sessionId: session.id } },
    );
  }

  // "The last N seconds" of a buffer that has ended means the last N seconds it recorded.
  const anchor = isLive(session) ? now : Math.min(now, snapshot.endMs ?? now);
  const requested = resolveRange(input, anchor, now, ctx.config.maxCaptureSeconds);

  const captureId = newId('cap');
  const clipId = newId('clip');
  // safeJoin refuses dot-names, so the fixed scratch directory is joined first; computed
  // before the slot is taken so that nothing can throw between acquire() and the try.
  const workDir = safeJoin(path.join(ctx.config.clipsDir, WORK_DIR), captureId);
  await ctx.rateLimiter?.hit(session.userId);
  const releaseSlot = ctx.captureSlots.acquire();
  let reservation = false;
  let extraReservation = false;
  let committedBytes = 0;
  let pending: PendingWrite | null = null;
  let storedKey: string | null = null;
  let posterKey: string | null = null;
  ctx.events.emit('capture:started', { captureId, sessionId: session.id, userId: session.userId });

  try {
    if (isLive(session) && (snapshot.endMs ?? 0) < requested.endMs) {
      ({ snapshot } = await waitForCoverage(() => readSessionIndex(ctx, session), requested.endMs, {
        timeoutMs: ctx.config.liveEdgeWaitMs,
      }));
    }
    const selected = selectSegments(snapshot, requested);
    if (!selected.ok) {
      const code =
        selected.reason === 'INVALID_RANGE'
          ? ReplayErrorCode.INVALID_INPUT
          : ReplayErrorCode[selected.reason];
      throw new ReplayBufferError(code, `Cannot save: ${selected.message}`, {
        details: { bufferStartMs: selected.bufferStartMs, bufferEndMs: selected.bufferEndMs },
      });
    }
    const selection = selected.selection;
    const mode = input.mode ?? 'accurate';

    const estimate = reservationBytes(selection.segments, mode);
    await ctx.quotas.reserve(session.userId, captureId, estimate, ctx.config.defaultQuotaBytes);
    reservation = true;

    await mkdir(workDir, { recursive: true });
    pending = await ctx.storage.beginWrite(`clips/${clipId}.mp4`);
    const progress = (fraction: number) => {
      ctx.events.emit('capture:progress', { captureId, fraction });
      void notifyUser(ctx, {
        type: 'CAPTURE_PROGRESS',
        userId: session.userId,
        sessionId: session.id,
        at: new Date().toISOString(),
        captureId,
        fraction,
      });
    };
    // The poster is taken from the segments while the clip is cut, so it never delays the save.
    const posterAt = posterFrame(selection.segments, selection.startMs, selection.endMs);
    const posterJob = writePoster(ctx, clipId, posterAt.path, posterAt.offsetSeconds).catch((error) => {
      // A missing poster never fails a save that produced a good clip.
      ctx.events.emit('error', toReplayBufferError(error, ReplayErrorCode.MEDIA_ERROR, 'Poster failed'));
      return null;
    });
    const result = await ctx.media
      .cut({
        segments: selection.segments,
        startMs: selection.startMs,
        endMs: selection.endMs,
        mode,
        outputPath: pending.path,
        workDir,
        onProgress: progress,
      })
      .catch(async (error: unknown) => {
        const key = await posterJob;
        if (key) await ctx.storage.delete(key).catch(() => undefined);
        throw error;
      });
    posterKey = await posterJob;
    if (result.sizeBytes > estimate) {
      // Bigger than the bound: the extra must fit too, or the quota could be overrun.
      await ctx.quotas.reserve(
        session.userId,
        `${captureId}-extra`,
        result.sizeBytes - estimate,
        ctx.config.defaultQuotaBytes,
      );
      extraReservation = true;
    }
    const stored = await pending.commit();
    storedKey = stored.key;
    pending = null;
    // Quota before the record: once the record exists its owner can delete it, and that
    // delete must find the bytes counted (else they would be freed before being used).
    await ctx.quotas.commit(session.userId, captureId, stored.sizeBytes);
    reservation = false;
    committedBytes = stored.sizeBytes;
    if (extraReservation) await ctx.quotas.release(session.userId, `${captureId}-extra`);
    extraReservation = false;

    const clip = await ctx.clips.create({
      id: clipId,
      ownerId: session.userId,
      sessionId: session.id,
      communityId: session.communityId,
      roomName: session.roomName,
      channelId: session.channelId,
      requestedStart: new Date(requested.startMs),
      requestedEnd: new Date(requested.endMs),
      actualStart: new Date(result.actualStartMs),
      actualEnd: new Date(result.actualEndMs),
      durationSeconds: result.probe.durationSeconds,
      sizeBytes: stored.sizeBytes,
      sha256: result.sha256,
      mimeType: 'video/mp4',
      width: result.probe.width,
      height: result.probe.height,
      visibility: input.visibility ?? 'private',
      storageKey: storedKey,
      posterKey,
      title: input.title ?? null,
      metadata: {
        clampedStart: selection.startClamped,
        clampedEnd: selection.endClamped,
        gaps: selection.gaps.map((gap) => ({
          start: new Date(gap.startMs).toISOString(),
          durationSeconds: gap.durationSeconds,
        })),
        cutMode: mode,
        segmentCount: selection.segments.length,
      },
      createdAt: new Date(),
    });
    // The clip exists now: nothing below may undo it.
    [storedKey, posterKey, committedBytes] = [null, null, 0];

    ctx.events.emit('capture:completed', clip);
    await notifyUser(ctx, {
      type: 'CLIP_READY',
      userId: session.userId,
      sessionId: session.id,
      at: new Date().toISOString(),
      captureId,
      clipId,
    });
    return clip;
  } catch (error) {
    // Before the partial file is removed: it is what filled the disk.
    const coded = await diskFullAsStorageError(
      toReplayBufferError(error, ReplayErrorCode.MEDIA_ERROR, 'Saving the clip failed'),
      pending?.path ?? null,
    );
    await pending?.abort().catch(() => undefined);
    if (storedKey) await ctx.storage.delete(storedKey).catch(() => undefined);
    if (posterKey) await ctx.storage.delete(posterKey).catch(() => undefined);
    if (reservation) await ctx.quotas.release(session.userId, captureId).catch(() => undefined);
    if (committedBytes > 0) await ctx.quotas.free(session.userId, committedBytes).catch(() => undefined);
    if (extraReservation) {
      await ctx.quotas.release(session.userId, `${captureId}-extra`).catch(() => undefined);
    }
    ctx.events.emit('capture:failed', { captureId, sessionId: session.id, error: coded });
    await notifyUser(ctx, {
      type: 'CAPTURE_FAILED',
      userId: session.userId,
      sessionId: session.id,
      at: new Date().toISOString(),
      captureId,
      code: coded.code,
      error: coded.message,
    });
    throw coded;
  } finally {
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    releaseSlot();
  }
}

/**
 * The clip's poster frame: the first keyframe (a segment's start) from 1 s into the clip, when
 * one lies inside it (decoding one frame is all it costs), else 1 s in (or the middle).
 */
function posterFrame(segments: Segment[], startMs: number, endMs: number) {
  const atMs = startMs + Math.min(1000, (endMs - startMs) / 2);
  const key = segments.find((s) => s.startMs >= atMs && s.startMs < endMs);
  if (key) return { path: key.path, offsetSeconds: 0 };
  const segment = segments.find((s) => s.startMs + s.durationSeconds * 1000 > atMs) ?? segments.at(-1)!;
  return { path: segment.path, offsetSeconds: Math.max(0, (atMs - segment.startMs) / 1000) };
}

async function writePoster(
  ctx: ManagerContext,
  clipId: string,
  segmentPath: string,
  offsetSeconds: number,
): Promise<string> {
  const key = `posters/${clipId}.jpg`;
  const poster = await ctx.storage.beginWrite(key);
  try {
    await ctx.media.poster(segmentPath, poster.path, offsetSeconds, 640);
    await poster.commit();
    return key;
  } catch (error) {
    await poster.abort();
    throw error;
  }
}

/**
 * ffmpeg reports a full disk as a failed run, or sometimes exits 0 with a truncated file that
 * then fails to probe; either way the caller must hear "storage" (503), not "media".
 */
async function diskFullAsStorageError(
  error: ReplayBufferError,
  outputPath: string | null,
): Promise<ReplayBufferError> {
  if (error.code === ReplayErrorCode.STORAGE_ERROR) return error;
  const errno = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
  let full = /ENOSPC|EDQUOT|no space left on device|disk quota exceeded/i.test(`${errno} ${error.message}`);
  if (!full && outputPath && error.code === ReplayErrorCode.MEDIA_ERROR) {
    const fsInfo = await statfs(path.dirname(outputPath)).catch(() => null);
    full = fsInfo !== null && fsInfo.bavail * fsInfo.bsize < 1024 * 1024;
  }
  if (!full) return error;
  return new ReplayBufferError(
    ReplayErrorCode.STORAGE_ERROR,
    'Saving the clip failed: the clip storage is full; free some space and try again',
    { cause: error, details: { errno: 'ENOSPC' } },
  );
}
