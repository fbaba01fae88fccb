import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode, toReplayBufferError } from '../errors.js';
import { newId, safeJoin } from '../ids.js';
import { shareClip } from '../library/share.js';
import type { PendingWrite } from '../ports/clip-storage.js';
import type { SegmentSource } from '../ports/segment-source.js';
import { redactErrorPaths } from '../redact-paths.js';
import {
  attempt,
  type ManagerContext,
  notificationBase,
  notifyUser,
  reportError,
} from '../runtime/context.js';
import { toClipDto } from '../runtime/dto.js';
import { type CaptureReplayInput, captureInputSchema, parseInput } from '../runtime/inputs.js';
import { withSegmentFile } from '../runtime/segment-files.js';
import { isLive } from '../runtime/session-lifecycle.js';
import { endClampReason } from '../segments/live-edge.js';
import type { Segment } from '../segments/types.js';
import type { ClipRecord } from '../types.js';
import { cancelled, prepareRange, reservationBytes, selectRange } from './range.js';

/** Scratch space for intermediate media files, beside the clips (same filesystem). */
export const WORK_DIR = '.work';

/**
 * Saves a wall-clock range of the buffer as an MP4 clip. Ends at the requested instant
 * (waiting, bounded, for the segment in progress), clamps to what exists and says so.
 * Reserves quota before any ffmpeg work; on every failure (or an abort of `signal`), nothing is
 * left behind: no partial file, no temp file, no reservation, no record.
 */
export async function captureReplay(ctx: ManagerContext, raw: CaptureReplayInput): Promise<ClipRecord> {
  const input = parseInput(captureInputSchema, raw, 'capture request');
  const prepared = await prepareRange(ctx, input);
  const { session, requested } = prepared;
  const { signal } = input;

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
  const base = notificationBase(session);
  const facts = { sessionId: session.id, userId: session.userId, clipId };
  ctx.events.emit('capture:started', { captureId, sessionId: session.id, userId: session.userId });

  try {
    const { selection, snapshot, edge } = await selectRange(ctx, prepared, {
      ...(signal ? { signal } : {}),
      onWaiting: () =>
        void notifyUser(ctx, {
          ...notificationBase(session),
          type: 'CAPTURE_PROGRESS',
          captureId,
          fraction: 0,
          stage: 'waiting',
        }),
    });
    const mode = input.mode ?? 'accurate';

    const estimate = reservationBytes(selection.segments, mode);
    await ctx.quotas.reserve(session.userId, captureId, estimate, ctx.config.defaultQuotaBytes);
    reservation = true;

    await mkdir(workDir, { recursive: true });
    pending = await ctx.storage.beginWrite(`clips/${clipId}.mp4`);
    const progress = (fraction: number) => {
      ctx.events.emit('capture:progress', { captureId, fraction });
      void notifyUser(ctx, { ...notificationBase(session), type: 'CAPTURE_PROGRESS', captureId, fraction });
    };
    // The poster is taken from one segment while the clip is cut (in parallel; for a short save
    // it can finish last); a missing poster never fails a save that produced a good clip.
    const posterAt = posterFrame(selection.segments, selection.startMs, selection.endMs);
    const posterJob = writePoster(ctx, prepared.source, clipId, posterAt, workDir, signal).catch((error) => {
      reportError(ctx, toReplayBufferError(error, ReplayErrorCode.MEDIA_ERROR, 'Poster failed'), {
        operation: 'writing the clip poster',
        ...facts,
      });
      return null;
    });
    let result: Awaited<ReturnType<typeof ctx.media.cut>>;
    try {
      result = await ctx.media.cut({
        segments: selection.segments,
        startMs: selection.startMs,
        endMs: selection.endMs,
        mode,
        source: prepared.source,
        outputPath: pending.path,
        workDir,
        onProgress: progress,
        ...(signal ? { signal } : {}),
      });
    } finally {
      // Known either way, so a failed cut's cleanup below deletes the poster too.
      posterKey = await posterJob;
    }
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

    let clip = await ctx.clips.create({
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
        clampReason: endClampReason(selection, snapshot, edge, isLive(session)),
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

    const created = clip;
    if (ctx.clipFileRecords) {
      await attempt(
        ctx,
        { operation: 'recording the clip in the host app (clipFileRecords.created)', ...facts },
        () => ctx.clipFileRecords!.created({ clip: created }),
      );
    }
    if (input.share) {
      // Posting is a courtesy after the save: a refusal is reported, the clip stays.
      const share = input.share;
      try {
        clip = (await shareClip(ctx, { clipId, userId: session.userId, share })).clip;
      } catch (error) {
        reportError(ctx, error, { operation: 'sharing the new clip', ...facts });
      }
    }
    ctx.events.emit('capture:completed', clip);
    await notifyUser(ctx, { ...base, type: 'CLIP_READY', captureId, clipId, clip: toClipDto(clip) });
    return clip;
  } catch (error) {
    // Errors reach API callers: no absolute server paths in them.
    const coded =
      cancelled(signal, error) ??
      redactErrorPaths(
        diskFullAsStorageError(
          toReplayBufferError(error, ReplayErrorCode.MEDIA_ERROR, 'Saving the clip failed'),
        ),
        [ctx.config.segmentsDir, ctx.config.clipsDir],
      );
    const written = pending;
    if (written)
      await attempt(ctx, { operation: 'removing a partial clip file', ...facts }, () => written.abort());
    const [key, poster, bytes] = [storedKey, posterKey, committedBytes];
    if (key)
      await attempt(ctx, { operation: 'deleting an unrecorded clip file', ...facts }, () =>
        ctx.storage.delete(key),
      );
    if (poster) {
      await attempt(ctx, { operation: 'deleting an unrecorded poster', ...facts }, () =>
        ctx.storage.delete(poster),
      );
    }
    if (reservation) {
      await attempt(ctx, { operation: 'releasing the quota reservation', ...facts }, () =>
        ctx.quotas.release(session.userId, captureId),
      );
    }
    if (bytes > 0) {
      await attempt(ctx, { operation: 'giving back committed quota', ...facts }, () =>
        ctx.quotas.free(session.userId, bytes),
      );
    }
    if (extraReservation) {
      await attempt(ctx, { operation: 'releasing the extra quota reservation', ...facts }, () =>
        ctx.quotas.release(session.userId, `${captureId}-extra`),
      );
    }
    ctx.events.emit('capture:failed', { captureId, sessionId: session.id, error: coded });
    await notifyUser(ctx, {
      ...base,
      type: 'CAPTURE_FAILED',
      captureId,
      code: coded.code,
      error: coded.message,
      userMessage: coded.userMessage,
    });
    throw coded;
  } finally {
    await attempt(ctx, { operation: 'removing the capture work directory', ...facts, path: workDir }, () =>
      rm(workDir, { recursive: true, force: true }),
    );
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
  if (key) return { segment: key, offsetSeconds: 0 };
  const segment = segments.find((s) => s.startMs + s.durationSeconds * 1000 > atMs) ?? segments.at(-1)!;
  return { segment, offsetSeconds: Math.max(0, (atMs - segment.startMs) / 1000) };
}

async function writePoster(
  ctx: ManagerContext,
  source: SegmentSource,
  clipId: string,
  at: { segment: Segment; offsetSeconds: number },
  workDir: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  const key = `posters/${clipId}.jpg`;
  // From object storage, the one segment is copied into the save's work directory first.
  return withSegmentFile(
    source,
    at.segment,
    workDir,
    async (segmentFile) => {
      const poster = await ctx.storage.beginWrite(key);
      try {
        await ctx.media.poster(segmentFile, poster.path, at.offsetSeconds, 640);
        await poster.commit();
        return key;
      } catch (error) {
        await poster.abort();
        throw error;
      }
    },
    signal,
  );
}

/**
 * A full disk must reach the caller as "storage" (503), not "media": the errno of a failed
 * write, or ffmpeg's own words on stderr (its exit message does not say why). No guess from
 * free space: a nearly full disk does not make every media failure a storage one.
 */
function diskFullAsStorageError(error: ReplayBufferError): ReplayBufferError {
  if (error.code === ReplayErrorCode.STORAGE_ERROR) return error;
  const errno = (error.cause as NodeJS.ErrnoException | undefined)?.code ?? '';
  // ffmpeg says why only on stderr; the runner's error (and MEDIA_ERROR's details) carry its tail.
  const stderr = [
    error.details?.stderrTail,
    (error.cause as { stderrTail?: unknown } | undefined)?.stderrTail,
  ]
    .filter((text): text is string => typeof text === 'string')
    .join('\n');
  const full = /ENOSPC|EDQUOT|no space left on device|disk quota exceeded/i.test(
    `${errno} ${error.message} ${stderr}`,
  );
  if (!full) return error;
  return new ReplayBufferError(
    ReplayErrorCode.STORAGE_ERROR,
    'Saving the clip failed: the clip storage is full; free some space and try again',
    { cause: error, details: { errno: 'ENOSPC' } },
  );
}
