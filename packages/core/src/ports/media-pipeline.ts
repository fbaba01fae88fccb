import type { Segment } from '../segments/types.js';
import type { SegmentReader } from './segment-source.js';

export interface MediaProbe {
  durationSeconds: number;
  width: number;
  height: number;
  videoCodec: string | null;
  audioCodec: string | null;
  frameRate: number | null;
}

export interface CutRequest {
  /** Complete segments covering the range, oldest first, as chosen by selectSegments. */
  segments: Segment[];
  /** Wall-clock range to keep, epoch ms. */
  startMs: number;
  endMs: number;
  /**
   * `accurate`: first and last frames within one frame of the range (an edit list over the
   * copied GOP, or the boundary GOP re-encoded when the pipeline falls back to ffmpeg).
   * `fast`: stream copy only, snapping the start to the previous keyframe.
   */
  mode: 'accurate' | 'fast';
  /**
   * Where the segments' bytes come from. Absent or `local`: `Segment.path` is a file. Object
   * storage: read through `open` only (ranged GETs), never a download of the whole buffer.
   */
  source?: SegmentReader;
  /** Where to write the MP4 (a temp file on the destination filesystem). */
  outputPath: string;
  /** Scratch directory for intermediate files; the pipeline removes what it creates. */
  workDir: string;
  /** Aborting stops the cut (kills any ffmpeg process) and removes the output and the scratch files. */
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface CutResult {
  /** SHA-256 (hex) of the output file, computed while it was written. */
  sha256: string;
  sizeBytes: number;
  probe: MediaProbe;
  /** Wall-clock range the output really covers, epoch ms. */
  actualStartMs: number;
  actualEndMs: number;
}

/** Media operations on LiveKit segments (ffmpeg through the media runner in production). Every ffmpeg run goes through here. */
export interface MediaPipeline {
  /** Cuts [startMs, endMs) out of the segments into a browser-playable MP4, hashed while written. */
  cut(request: CutRequest): Promise<CutResult>;
  probe(filePath: string): Promise<MediaProbe>;
  /** Writes a JPEG frame of `inputPath` at `atSeconds`, scaled to `width` (height follows). */
  poster(inputPath: string, outputPath: string, atSeconds: number, width?: number): Promise<void>;
  /**
   * Rewrites one segment into a clean MPEG-TS (stream copy, original timestamps) for the trim
   * preview's player. Optional: the manager adds ffmpeg's when a pipeline has none.
   */
  remuxSegment?(inputPath: string, outputPath: string, signal?: AbortSignal): Promise<void>;
  /** Stops background work (caches being filled) and waits for it; optional. */
  close?(): Promise<void>;
}
