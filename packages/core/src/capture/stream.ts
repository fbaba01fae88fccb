import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ReplayErrorCode, toReplayBufferError } from '../errors.js';
import { newId, safeJoin } from '../ids.js';
import { attempt, type ManagerContext } from '../runtime/context.js';
import { parseInput, type StreamReplayInput, streamInputSchema } from '../runtime/inputs.js';
import { WORK_DIR } from './capture.js';
import { cancelled, prepareRange, selectRange } from './range.js';

export interface ReplayStream {
  /** The MP4 (moov last: a player seeks it with Range requests), read from a temp file removed when the stream closes. */
  stream: Readable;
  sizeBytes: number;
  /** Suggested download name, e.g. `replay-2026-11-21_13-45-07.mp4`. */
  fileName: string;
  mimeType: 'video/mp4';
  durationSeconds: number;
  /** ISO instants the file really covers. */
  start: string;
  end: string;
}

const fileStamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace('T', '_')
    .replaceAll(':', '-');

/**
 * Cuts a range of the buffer (same selection and exactness as a save) into an MP4 and hands it
 * to the caller as a stream: no clip record, no quota. The cut is written to a temp file first
 * (so a failed cut answers an error, not half a download), then streamed. Aborting
 * `signal` kills ffmpeg; destroying (or finishing) the stream removes the temp file.
 */
export async function streamReplay(ctx: ManagerContext, raw: StreamReplayInput): Promise<ReplayStream> {
  const input = parseInput(streamInputSchema, raw, 'download request');
  const prepared = await prepareRange(ctx, input);
  const { session } = prepared;
  const { signal } = input;
  const streamId = newId('dl');
  const workDir = safeJoin(path.join(ctx.config.clipsDir, WORK_DIR), streamId);
  const removeWork = () =>
    attempt(ctx, { operation: 'removing a download temp file', sessionId: session.id, path: workDir }, () =>
      rm(workDir, { recursive: true, force: true }),
    );
  await ctx.rateLimiter?.hit(session.userId);
  const releaseSlot = ctx.captureSlots.acquire();
  let handedOver = false;
  try {
    const { selection } = await selectRange(ctx, prepared, signal ? { signal } : {});
    await mkdir(workDir, { recursive: true });
    const outputPath = path.join(workDir, 'replay.mp4');
    const result = await ctx.media.cut({
      segments: selection.segments,
      startMs: selection.startMs,
      endMs: selection.endMs,
      mode: input.mode ?? 'accurate',
      source: prepared.source,
      outputPath,
      workDir,
      ...(signal ? { signal } : {}),
    });
    signal?.throwIfAborted();
    const stream = createReadStream(outputPath, signal ? { signal } : {});
    stream.once('close', () => void removeWork());
    handedOver = true;
    return {
      stream,
      sizeBytes: result.sizeBytes,
      fileName: `replay-${fileStamp(result.actualStartMs)}.mp4`,
      mimeType: 'video/mp4',
      durationSeconds: result.probe.durationSeconds,
      start: new Date(result.actualStartMs).toISOString(),
      end: new Date(result.actualEndMs).toISOString(),
    };
  } catch (error) {
    throw (
      cancelled(signal, error) ??
      toReplayBufferError(error, ReplayErrorCode.MEDIA_ERROR, 'The download failed')
    );
  } finally {
    releaseSlot();
    if (!handedOver) await removeWork();
  }
}
