import type { SegmentNaming } from '../types.js';

/** One complete MPEG-TS segment written by LiveKit egress. */
export interface Segment {
  /** File name inside the session directory, e.g. `replay_00012.ts`. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Ordering key: the index from the name, or the position for TIMESTAMP names. */
  sequence: number;
  /** Wall-clock start, epoch milliseconds (from EXT-X-PROGRAM-DATE-TIME, the name, or derived). */
  startMs: number;
  /** Duration in seconds (EXTINF, or probed when the playlist has not caught up). */
  durationSeconds: number;
  sizeBytes: number;
  /** Where the timing came from. */
  timing: 'playlist' | 'filename' | 'probed';
}

export interface SegmentGap {
  /** Wall-clock start of the missing stretch, epoch ms. */
  startMs: number;
  durationSeconds: number;
}

/** What the buffer holds right now. */
export interface SegmentIndexSnapshot {
  /** Complete segments, oldest first. Never includes a segment still being written. */
  segments: Segment[];
  gaps: SegmentGap[];
  /** True once the main playlist has #EXT-X-ENDLIST (egress stopped). */
  ended: boolean;
  /** Wall-clock span covered, epoch ms; null when there are no segments. */
  startMs: number | null;
  endMs: number | null;
  /**
   * Segment files present but not usable yet (the one being written, or listed but not yet
   * openable). Optional: snapshots built by hand may leave it out.
   */
  pending?: string[];
  /** Whether a main or live playlist was found (false before LiveKit wrote the first one). */
  playlistFound?: boolean;
  /** Values in the directory that were not believed this time (re-timed or skipped segments). */
  anomalies?: SegmentAnomaly[];
  /** Segment files skipped as implausible: retention still deletes them (by mtime). */
  rejected?: RejectedSegmentFile[];
}

export interface RejectedSegmentFile {
  name: string;
  /** Absolute path (internal: never put it in a message). */
  path: string;
  sizeBytes: number;
  mtimeMs: number;
}

export interface SegmentDirectoryLayout {
  /** Absolute directory holding the playlists and segments. */
  dir: string;
  filenamePrefix: string;
  playlistName: string;
  livePlaylistName: string;
  naming: SegmentNaming;
  /** Target duration, used to bound how long the playlist may lag. */
  segmentDurationSeconds: number;
}

export type SegmentAnomalyKind =
  /** EXTINF (or a probed duration) far beyond the segment duration target or the file size. */
  | 'implausible_duration'
  /** PROGRAM-DATE-TIME (or a TIMESTAMP name) in the future beyond the allowed clock skew. */
  | 'future_time'
  /** The segment starts before the previous one ended. */
  | 'out_of_order'
  /** A playlist or segment that is a symlink, FIFO, device, or too large to read. */
  | 'unsafe_file';

/** A value in the segment directory that was not believed (the segment was re-timed or skipped). */
export interface SegmentAnomaly {
  kind: SegmentAnomalyKind;
  /** File name inside the session directory (never a path). */
  name: string;
  message: string;
  /** What was done about it: the playlist's value ignored (file facts used), or the file skipped. */
  action: 'retimed' | 'skipped';
}
