import type { SegmentIndexSnapshot } from './types.js';

/** Estimated output bytes from the buffered segments' real bitrate, with headroom for the re-encoded head. */
export function estimateClipBytes(snapshot: SegmentIndexSnapshot, seconds: number): number {
  const bytes = snapshot.segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  const duration = snapshot.segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  if (duration <= 0) return 0;
  return Math.ceil((bytes / duration) * seconds * 1.05 + 256 * 1024);
}
