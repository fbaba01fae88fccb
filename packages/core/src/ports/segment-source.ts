import type { Readable } from 'node:stream';
import type {
  Segment,
  SegmentAnomaly,
  SegmentDirectoryLayout,
  SegmentIndexSnapshot,
} from '../segments/types.js';
import type { ByteRange } from './clip-storage.js';

/**
 * Where one egress's segments and playlists are, for any source: `dir` is a directory for the
 * local source and a key prefix (`rooms/r1/u1`, no trailing slash) for object storage.
 */
export type SegmentSourceLayout = SegmentDirectoryLayout;

export interface ListSegmentsOptions {
  /** A stretch longer than this between one segment's end and the next start is a gap. */
  gapToleranceMs?: number;
  signal?: AbortSignal;
  /**
   * The egress has ended: nothing is still being written, so the newest segment nothing lists
   * may be used once it is complete (a directory cannot tell otherwise; a bucket lists only
   * complete objects and may ignore this).
   */
  egressEnded?: boolean;
  /** Told about values the source did not believe (implausible times, unsafe files). */
  onAnomaly?: (anomaly: SegmentAnomaly) => void;
}

export interface OpenSegmentOptions {
  /** Bytes of the segment to read (inclusive); the whole segment without it. */
  range?: ByteRange;
  signal?: AbortSignal;
}

/** How media operations read segment bytes (the part of a source a cut needs). */
export interface SegmentReader {
  /** True when `Segment.path` is a file this process can open directly (the local directory). */
  readonly local: boolean;
  /**
   * Streams one segment (or a byte range of it). Fails with `RANGE_UNAVAILABLE` when the
   * segment is gone (retention) and `STORAGE_ERROR` when it cannot be read.
   */
  open(segment: Segment, options?: OpenSegmentOptions): Promise<Readable>;
}

/**
 * The segments one LiveKit egress writes (to a directory, or uploads to a bucket), read the way
 * the capture and preview paths need them. Implementations merge the main playlist, the live
 * playlist and the listing of segment files/objects:
 *
 * - a segment is usable only when a playlist lists it, or a later segment exists, and its
 *   file/object is complete (never the one still being written or uploaded);
 * - wall-clock times come from `PROGRAM-DATE-TIME` (0–3 fractional digits), else TIMESTAMP
 *   names, else derived from neighbours or probed; playlists may lag and segments may be
 *   missing (holes become `gaps`).
 *
 * `Segment.path` is what `open` needs to find the segment again: a file path for the local
 * source, the object key for object storage.
 */
export interface SegmentSource extends SegmentReader {
  readonly layout: SegmentSourceLayout;
  /** What the buffer holds right now, oldest first. Cheap to call repeatedly (incremental). */
  list(options?: ListSegmentsOptions): Promise<SegmentIndexSnapshot>;
  /**
   * Streams several segments back to back, in the order given (for a save), reading ahead
   * with bounded concurrency and memory.
   */
  openMany(segments: readonly Segment[], options?: { signal?: AbortSignal }): Readable;
  /**
   * Deletes segments (retention), in batches the backend accepts. Succeeds for segments
   * already gone. Returns how many were asked to be deleted.
   */
  deleteSegments(segments: readonly Pick<Segment, 'name'>[]): Promise<number>;
}

/**
 * Makes the source of one egress (one per session). The manager passes the session's own
 * layout with `dir` = the session's segment directory name (`rs_<hex>`, a safe id); the factory
 * resolves it under its root (a directory, or a key prefix) and refuses anything else.
 */
export interface SegmentSourceFactory {
  /** True when segments are files under a local directory (watchers and directory sweeps apply). */
  readonly local: boolean;
  /** The source of `layout`; the same source for the same layout while it is in use. */
  forLayout(layout: SegmentSourceLayout): SegmentSource;
  /** Forgets the source of `layout.dir` (its session ended); a later `forLayout` starts afresh. */
  release(layout: Pick<SegmentSourceLayout, 'dir'>): void;
  /** Session directories (key prefixes) present under the root, for the retention sweep. */
  listDirs(): Promise<string[]>;
  /**
   * Deletes everything the egress wrote under `layout.dir` (segments, playlists, manifest),
   * in batches the backend accepts, and forgets its source. Succeeds when nothing is there.
   */
  deleteLayout(layout: Pick<SegmentSourceLayout, 'dir'>): Promise<void>;
}
