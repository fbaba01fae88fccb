import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { MediaPipeline } from '../ports/media-pipeline.js';
import { resolveFfmpegPath, runMedia, segmentInputArgs } from './process-runner.js';

/** A preview segment is one ~2 s segment: a remux that takes longer than this is stuck. */
const PREVIEW_REMUX_TIMEOUT_MS = 30_000;

/**
 * `ffmpeg -c copy` of one segment into a fresh MPEG-TS: clean PAT/PMT, original timestamps (no
 * shift), so hls.js plays LiveKit's segments without a discontinuity per segment. The input is
 * forced to MPEG-TS from files only: a segment's content never decides what ffmpeg opens.
 */
export async function remuxPreviewSegment(
  ffmpegPath: string | undefined,
  inputPath: string,
  outputPath: string,
  signal?: AbortSignal,
): Promise<void> {
  await runMedia({
    binary: resolveFfmpegPath(ffmpegPath),
    args: [
      '-v',
      'error',
      '-y',
      ...segmentInputArgs(inputPath),
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
      outputPath,
    ],
    timeoutMs: PREVIEW_REMUX_TIMEOUT_MS,
    stdout: 'ignore',
    ...(signal ? { signal } : {}),
  }).catch((error: unknown) => {
    if (error instanceof ReplayBufferError) throw error; // already coded by the runner, paths removed
    throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, 'ffmpeg could not remux the preview segment', {
      cause: error,
    });
  });
}

/**
 * The pipeline with `remuxSegment` (ffmpeg's, when it has none), so the preview never runs
 * ffmpeg itself. The pipeline object is left untouched.
 */
export function withPreviewRemux(pipeline: MediaPipeline, ffmpegPath?: string): MediaPipeline {
  if (pipeline.remuxSegment) return pipeline;
  return {
    cut: (request) => pipeline.cut(request),
    probe: (filePath) => pipeline.probe(filePath),
    poster: (input, output, at, width) => pipeline.poster(input, output, at, width),
    remuxSegment: (input, output, signal) => remuxPreviewSegment(ffmpegPath, input, output, signal),
    close: async () => {
      await pipeline.close?.();
    },
  };
}
