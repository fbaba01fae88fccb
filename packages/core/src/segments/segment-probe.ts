import { stat } from 'node:fs/promises';
import { resolveFfprobePath, runForText } from '../media/binaries.js';

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
}

export type SegmentProber = (filePath: string, signal?: AbortSignal) => Promise<SegmentProbe>;

/** Parses `ffprobe -show_entries packet=pts_time,duration_time,flags -of csv=p=0` output. */
export function parsePacketList(csv: string): SegmentProbe {
  const frames: { pts: number; duration: number | null; key: boolean }[] = [];
  for (const line of csv.split(/\r?\n/)) {
    const [ptsText, durationText, flags] = line.trim().split(',');
    if (!ptsText) continue;
    const pts = Number.parseFloat(ptsText);
    if (!Number.isFinite(pts)) continue;
    const duration = Number.parseFloat(durationText ?? '');
    frames.push({
      pts,
      duration: Number.isFinite(duration) && duration > 0 ? duration : null,
      key: (flags ?? '').includes('K'),
    });
  }
  frames.sort((a, b) => a.pts - b.pts);
  const framePts = frames.map((f) => f.pts);
  const spacings: number[] = [];
  for (let i = 1; i < framePts.length; i++) spacings.push(framePts[i]! - framePts[i - 1]!);
  spacings.sort((a, b) => a - b);
  const median = spacings.length ? spacings[Math.floor(spacings.length / 2)]! : null;
  const last = frames.at(-1);
  const first = frames[0];
  const lastDuration = last?.duration ?? median ?? 0;
  return {
    durationSeconds: first && last ? last.pts + lastDuration - first.pts : 0,
    firstVideoPtsSeconds: first ? first.pts : null,
    keyframePtsSeconds: frames.filter((f) => f.key).map((f) => f.pts),
    framePtsSeconds: framePts,
    frameDurationSeconds: median ?? last?.duration ?? null,
  };
}

/**
 * An ffprobe-backed prober with a cache keyed by path + size + mtime, so re-reading the
 * index every few seconds probes each new segment once.
 */
export function createSegmentProber(
  options: { ffprobePath?: string; cacheSize?: number } = {},
): SegmentProber {
  const cache = new Map<string, SegmentProbe>();
  const limit = options.cacheSize ?? 4096;
  return async (filePath, signal) => {
    const info = await stat(filePath);
    const key = `${filePath}\u0000${info.size}\u0000${info.mtimeMs}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const csv = await runForText(
      resolveFfprobePath(options.ffprobePath),
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'packet=pts_time,duration_time,flags',
        '-of',
        'csv=p=0',
        filePath,
      ],
      signal ? { signal } : {},
    );
    const probe = parsePacketList(csv);
    if (cache.size >= limit) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, probe);
    return probe;
  };
}

let sharedProber: SegmentProber | null = null;

/** The process-wide default prober (ffprobe from FFPROBE_PATH or PATH). */
export function defaultSegmentProber(): SegmentProber {
  sharedProber ??= createSegmentProber();
  return sharedProber;
}

const probersByPath = new Map<string, SegmentProber>();

/** A shared cached prober for one ffprobe binary. */
export function proberFor(ffprobePath: string): SegmentProber {
  let prober = probersByPath.get(ffprobePath);
  if (!prober) {
    prober = createSegmentProber({ ffprobePath });
    probersByPath.set(ffprobePath, prober);
  }
  return prober;
}
