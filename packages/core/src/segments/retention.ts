import type { SegmentIndexSnapshot } from './types.js';

export interface RetentionVictim {
  name: string;
  path: string;
  sizeBytes: number;
}

/**
 * The files a rolling window drops: segments that ended before `cutoffMs`, oldest first,
 * and segment files the index refused to believe (a PROGRAM-DATE-TIME in 2099, a duration of
 * 1e9 s) once they were last written before the cutoff. So an implausible value can neither
 * stop retention for the files after it nor keep itself forever.
 */
export function retentionVictims(snapshot: SegmentIndexSnapshot, cutoffMs: number): RetentionVictim[] {
  const victims: RetentionVictim[] = [];
  for (const segment of snapshot.segments) {
    if (segment.startMs + segment.durationSeconds * 1000 >= cutoffMs) break;
    victims.push({ name: segment.name, path: segment.path, sizeBytes: segment.sizeBytes });
  }
  for (const file of snapshot.rejected ?? []) {
    if (file.mtimeMs < cutoffMs)
      victims.push({ name: file.name, path: file.path, sizeBytes: file.sizeBytes });
  }
  return victims;
}
