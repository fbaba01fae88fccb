import type { Segment } from '../segments/types.js';

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
   * `accurate`: first and last frames within one frame of the range (boundary GOPs re-encoded).
   * `fast`: stream copy only, snapping the start to the previous keyframe.
   */
  mode: 'accurate' | 'fast';
  /** Where to write the MP4 (a temp file on the destination filesystem). */
  outputPath: string;
  /** Scratch directory for intermediate files; the pipeline removes what it creates. */
  workDir: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface CutResult {
  /** SHA-256 (hex) of the output file, computed by streaming it. */
  sha256: string;
  sizeBytes: number;
  probe: MediaProbe;
  /** Wall-clock range the output really covers, epoch ms. */
  actualStartMs: number;
  actualEndMs: number;
  /**
   * How the clip was made, when the pipeline says: `fragments` (cached per-segment fMP4
   * fragments joined by byte copy) or `remux` (the whole range remuxed at save time).
   */
  path?: 'fragments' | 'remux';
  /** Why the fragment cut was not used, when it was on but fell back to the remux. */
  fragmentFallbackReason?: string;
}

/** Media operations on LiveKit segments (ffmpeg in production). Every ffmpeg run goes through here. */
export interface MediaPipeline {
  /** Cuts [startMs, endMs) out of the segments into a browser-playable MP4 (+faststart). */
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
