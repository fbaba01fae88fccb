import type { PreviewDto } from '@livekit-replay/core/contract';

/**
 * Player time (seconds into the preview playlist) → wall-clock epoch ms, through the
 * preview's segment map. Absolute instants are what a save sends: a relative offset would
 * point elsewhere once the sliding buffer has moved on.
 */
export function previewTimeToWallClock(
  preview: Pick<PreviewDto, 'segments' | 'start'>,
  seconds: number,
): number {
  let segment = preview.segments[0];
  for (const candidate of preview.segments) {
    if (candidate.offsetSeconds <= seconds + 1e-6) segment = candidate;
    else break;
  }
  if (!segment) return Date.parse(preview.start) + seconds * 1000;
  return Math.round(Date.parse(segment.start) + (seconds - segment.offsetSeconds) * 1000);
}

/** The frame duration of the source (30 fps when the server does not know). */
export function frameStep(preview: Pick<PreviewDto, 'frameRate'>): number {
  const fps = preview.frameRate && preview.frameRate > 0 ? preview.frameRate : 30;
  return 1 / fps;
}
