import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { MediaProgress } from './process-runner.js';

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
  const fail = (why: string, details: Record<string, unknown>) => {
    throw new ReplayBufferError(
      ReplayErrorCode.MEDIA_ERROR,
      `The clip is missing frames (a segment is probably damaged): ${why}; nothing was saved`,
      { details: { expectedSeconds, ...details } },
    );
  };
  if (!progress?.end) fail('ffmpeg did not report its result', {});
  const frames = progress!.frame;
  const expectedFrames = Math.round(expectedSeconds / frameDuration);
  // Half a second of frames, at least three: a lost packet run, not timestamp rounding.
  const tolerance = Math.max(3, Math.round(0.5 / frameDuration));
  if (frames === null || frames <= 0) fail('no video frame was written', { frames });
  if (Math.abs(frames! - expectedFrames) > tolerance)
    fail(`${frames} frames instead of ${expectedFrames}`, {
      frames,
      expectedFrames,
    });
  // out_time is not checked: with -copyts and a re-encoded head ffmpeg 5.1 reports it from
  // the wrong stream; the frame count is the muxer's own tally of what it wrote.
}
