import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { H264Sps } from './mpegts/h264-sps.js';
import { readTs, type TsLayout } from './mpegts/ts-reader.js';

/** What the index and the pipeline need to know about one MPEG-TS segment. */
export interface SegmentProbe {
  /** Video duration: last frame's end minus first frame's start, seconds. */
  durationSeconds: number;
  /** Presentation time of the first video frame in the stream's own clock, seconds. */
  firstVideoPtsSeconds: number | null;
  /** Presentation times of the keyframes, stream clock, seconds (ascending). */
  keyframePtsSeconds: number[];
  /** Presentation times of every video frame, stream clock, seconds (ascending). */
  framePtsSeconds: number[];
  /** Nominal frame duration, seconds (median spacing), or null for a single frame. */
  frameDurationSeconds: number | null;
  /** PIDs, program and codecs from the PAT/PMT (optional: probes built by hand may omit it). */
  layout?: TsLayout;
  /** The video's SPS (profile, level, size, colour), when it is H.264. */
  sps?: H264Sps | null;
  /** Whether frames are reordered (B-frames): some decode time differs from its presentation time. */
  reordered?: boolean;
}

export type SegmentProber = (filePath: string, signal?: AbortSignal) => Promise<SegmentProbe>;

/** A segment larger than this is not a segment (a 4K 10 s segment at 50 Mbit/s is ~63 MB). */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

/** Reads a segment's timing and layout in-process (no helper process); see readTs. */
export async function probeSegmentFile(
  filePath: string,
): Promise<SegmentProbe & { sizeBytes: number; mtimeMs: number }> {
  // Only a regular file, never through a symlink; O_NONBLOCK so a FIFO cannot hang the open.
  const handle = await open(filePath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_SEGMENT_BYTES) {
      throw new ReplayBufferError(
        ReplayErrorCode.MEDIA_ERROR,
        `Segment ${path.basename(filePath)} is not a regular file of plausible size`,
        { details: { segment: path.basename(filePath), sizeBytes: info.size } },
      );
    }
    const bytes = Buffer.allocUnsafe(info.size);
    let read = 0;
    while (read < info.size) {
      const { bytesRead } = await handle.read(bytes, read, info.size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { ...toSegmentProbe(bytes.subarray(0, read)), sizeBytes: info.size, mtimeMs: info.mtimeMs };
  } finally {
    await handle.close();
  }
}

export function toSegmentProbe(bytes: Uint8Array): SegmentProbe {
  const ts = readTs(bytes);
  const frames = ts.frames;
  const pts = frames.map((f) => f.pts).sort((a, b) => a - b);
  const spacings: number[] = [];
  for (let i = 1; i < pts.length; i++) spacings.push(pts[i]! - pts[i - 1]!);
  spacings.sort((a, b) => a - b);
  const median = spacings.length ? spacings[Math.floor(spacings.length / 2)]! : null;
  const { frames: _frames, sps, ...layout } = ts;
  return {
    durationSeconds: pts.length ? pts.at(-1)! + (median ?? 0) - pts[0]! : 0,
    firstVideoPtsSeconds: pts[0] ?? null,
    keyframePtsSeconds: frames
      .filter((f) => f.key)
      .map((f) => f.pts)
      .sort((a, b) => a - b),
    framePtsSeconds: pts,
    frameDurationSeconds: median,
    layout,
    sps,
    reordered: frames.some((f) => Math.abs(f.pts - f.dts) > 1e-6),
  };
}

/**
 * An in-process prober with a cache keyed by path + size + mtime, so re-reading the index
 * every few seconds reads each new segment once.
 */
export function createSegmentProber(options: { cacheSize?: number } = {}): SegmentProber {
  const cache = new Map<string, SegmentProbe>();
  const limit = options.cacheSize ?? 4096;
  return async (filePath, signal) => {
    signal?.throwIfAborted();
    const info = await lstat(filePath);
    const hit = cache.get(`${filePath}\u0000${info.size}\u0000${info.mtimeMs}`);
    if (hit) return hit;
    const { sizeBytes, mtimeMs, ...value } = await probeSegmentFile(filePath);
    const key = `${filePath}\u0000${sizeBytes}\u0000${mtimeMs}`;
    if (cache.size >= limit) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, value);
    return value;
  };
}

let sharedProber: SegmentProber | null = null;

/** The process-wide default prober. */
export function defaultSegmentProber(): SegmentProber {
  sharedProber ??= createSegmentProber();
  return sharedProber;
}
