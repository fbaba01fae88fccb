import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { MediaProgress } from './process-runner.js';

function missingFrames(why: string, details: Record<string, unknown>): never {
  throw new ReplayBufferError(
    ReplayErrorCode.MEDIA_ERROR,
    `The clip is missing frames (a segment is probably damaged): ${why}; nothing was saved`,
    { details },
  );
}

/**
 * Checks a clip from the muxer's own account (ffmpeg's final `-progress` block) instead of
 * re-reading it: stream copy skips what it cannot parse, so a damaged segment shows up as
 * missing frames or a short output.
 */
export function verifyMuxed(
  progress: MediaProgress | null,
  expectedSeconds: number,
  frameDuration: number,
): void {
  if (!progress?.end) missingFrames('ffmpeg did not report its result', { expectedSeconds });
  checkFrameCount(progress.frame, expectedSeconds, frameDuration);
  // out_time is not checked: with -copyts and a re-encoded head ffmpeg 5.1 reports it from
  // the wrong stream; the frame count is the muxer's own tally of what it wrote.
}

/** Frames written against the frames the range should hold (a lost packet run shows here). */
export function checkFrameCount(frames: number | null, expectedSeconds: number, frameDuration: number): void {
  const expectedFrames = Math.round(expectedSeconds / frameDuration);
  // Half a second of frames, at least three: a lost packet run, not timestamp rounding.
  const tolerance = Math.max(3, Math.round(0.5 / frameDuration));
  if (frames === null || frames <= 0)
    missingFrames('no video frame was written', { expectedSeconds, frames });
  if (Math.abs(frames - expectedFrames) > tolerance)
    missingFrames(`${frames} frames instead of ${expectedFrames}`, {
      expectedSeconds,
      frames,
      expectedFrames,
    });
}
