import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { MediaPipeline } from '../ports/media-pipeline.js';
import { resolveFfmpegPath } from './binaries.js';
import { runFfmpeg } from './run-ffmpeg.js';

/**
 * `ffmpeg -c copy` of one segment into a fresh MPEG-TS: clean PAT/PMT, original timestamps (no
 * shift), so hls.js plays LiveKit's segments without a discontinuity per segment.
 */
export async function remuxPreviewSegment(
  ffmpegPath: string | undefined,
  inputPath: string,
  outputPath: string,
  signal?: AbortSignal,
): Promise<void> {
  await runFfmpeg({
    ffmpegPath: resolveFfmpegPath(ffmpegPath),
    inputs: [{ url: inputPath, options: ['-v', 'error'] }],
    outputOptions: [
      '-y',
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
    ],
    output: outputPath,
    ...(signal ? { signal } : {}),
  }).catch((error: unknown) => {
    const tail = (error as { stderrTail?: string }).stderrTail;
    throw new ReplayBufferError(
      ReplayErrorCode.MEDIA_ERROR,
      `ffmpeg could not remux the preview segment: ${tail || (error instanceof Error ? error.message : String(error))}`,
      { cause: error },
    );
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
