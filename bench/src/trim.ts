import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createSegmentProber, type SegmentIndexSnapshot, selectSegments } from '@livekit-replay/core/adapter';
import { readFrameStamps } from '@livekit-replay/testing';
import { type ClipJob, runAlgorithm } from './algorithms.js';
import { errorMessage, FFMPEG, log, median, nowMs, probeDurationSeconds, run, sha256File } from './util.js';

export type TrimMethod = 'smart-cut' | 'full-reencode' | 'keyframe-snap';

export const TRIM_LABELS: Record<TrimMethod, string> = {
  'smart-cut': 'smart cut (ours, accurate: head GOP re-encoded, rest copied)',
  'full-reencode': 'full re-encode (libx264 veryfast, CRF 18, whole range)',
  'keyframe-snap': 'keyframe snap (ours, fast: stream copy)',
};

export interface TrimCell {
  method: TrimMethod;
  timesMs: number[];
  medianMs: number;
  /** First frame's stamp minus the requested start, ms (negative: starts early). */
  startErrorMs: number | null;
  /** Last frame's end (stamp + one frame) minus the requested end, ms. */
  endErrorMs: number | null;
  /** ffprobe duration minus the requested duration, s. */
  durationErrorSeconds: number | null;
  frames: number | null;
  /** Consecutive frames whose stamps are not one frame apart (0 = clean). */
  discontinuities: number | null;
  error: string | null;
}

export interface TrimBench {
  requestedSeconds: number;
  /** Where the start falls inside its segment (s after the segment's keyframe). */
  startOffsetInSegmentSeconds: number;
  cells: TrimCell[];
}

const EPS = 0.0005;

/** The whole range re-encoded with the same x264 settings the smart cut uses for its head. */
async function fullReencode(job: ClipJob): Promise<void> {
  const prober = createSegmentProber();
  const anchor = job.segments[0]!;
  const probe = await prober(anchor.path);
  if (probe.firstVideoPtsSeconds === null) throw new Error(`${anchor.name} holds no video`);
  const toPts = (ms: number) => probe.firstVideoPtsSeconds! + (ms - anchor.startMs) / 1000;
  const dir = join(anchor.path, '..');
  await run(
    FFMPEG,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-copyts',
      '-i',
      `concat:${job.segments.map((s) => s.name).join('|')}`,
      '-ss',
      toPts(job.startMs).toFixed(6),
      '-to',
      (toPts(job.endMs) - EPS).toFixed(6),
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '18',
      '-c:a',
      'copy',
      '-bsf:a',
      'aac_adtstoasc',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      job.outputPath,
    ],
    { cwd: dir },
  );
  await sha256File(job.outputPath);
}

/**
 * A trimmed save of `seconds` starting mid-GOP (not on a keyframe), by three methods, timed
 * `repeats` times interleaved; accuracy from the frame stamps burnt into every frame.
 */
export async function benchTrim(options: {
  snapshot: SegmentIndexSnapshot;
  seconds: number;
  repeats: number;
  workRoot: string;
  fps: number;
}): Promise<TrimBench> {
  const { snapshot } = options;
  await mkdir(options.workRoot, { recursive: true });
  // Start 45% into a segment about a third of the way into the buffer.
  const startSegment = snapshot.segments[Math.floor(snapshot.segments.length / 3)]!;
  const offsetSeconds = Math.round(startSegment.durationSeconds * 0.45 * 1000) / 1000;
  const startMs = startSegment.startMs + offsetSeconds * 1000;
  const endMs = startMs + options.seconds * 1000;
  const selected = selectSegments(snapshot, { startMs, endMs });
  if (!selected.ok || selected.selection.endClamped)
    throw new Error('the fixture is too short for the trim bench');
  const outputPath = join(options.workRoot, 'trim.mp4');
  const job: ClipJob = {
    segments: selected.selection.segments,
    startMs,
    endMs,
    outputPath,
    workDir: options.workRoot,
  };
  await runAlgorithm('cat', { ...job, outputPath: `${outputPath}.warm` });
  await rm(`${outputPath}.warm`, { force: true });

  const methods: TrimMethod[] = ['keyframe-snap', 'smart-cut', 'full-reencode'];
  const cells = new Map<TrimMethod, TrimCell>(
    methods.map((method) => [
      method,
      {
        method,
        timesMs: [],
        medianMs: Number.NaN,
        startErrorMs: null,
        endErrorMs: null,
        durationErrorSeconds: null,
        frames: null,
        discontinuities: null,
        error: null,
      },
    ]),
  );
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    for (const method of methods) {
      const cell = cells.get(method)!;
      if (cell.error) continue;
      // The full re-encode is the slow reference: once is enough to place it.
      if (method === 'full-reencode' && repeat > 0) continue;
      try {
        const started = nowMs();
        if (method === 'full-reencode') await fullReencode(job);
        else await runAlgorithm(method === 'smart-cut' ? 'ours-accurate' : 'ours-fast', job);
        cell.timesMs.push(nowMs() - started);
        if (repeat === 0) {
          const stamps = await readFrameStamps(outputPath, { referenceMs: startMs });
          const frameMs = 1000 / options.fps;
          cell.frames = stamps.length;
          cell.startErrorMs = stamps.length ? stamps[0]! - startMs : null;
          cell.endErrorMs = stamps.length ? stamps.at(-1)! + frameMs - endMs : null;
          let jumps = 0;
          for (let i = 1; i < stamps.length; i++) {
            if (Math.abs(stamps[i]! - stamps[i - 1]! - frameMs) > 2) jumps++;
          }
          cell.discontinuities = jumps;
          cell.durationErrorSeconds = (await probeDurationSeconds(outputPath)) - options.seconds;
        }
      } catch (error) {
        cell.error = errorMessage(error);
        log(`  trim ${method} failed: ${cell.error}`);
      } finally {
        await rm(outputPath, { force: true });
      }
    }
  }
  for (const cell of cells.values()) cell.medianMs = median(cell.timesMs);
  log(
    `  trim: ${[...cells.values()].map((c) => `${c.method} ${(c.medianMs / 1000).toFixed(2)} s`).join(', ')}`,
  );
  return {
    requestedSeconds: options.seconds,
    startOffsetInSegmentSeconds: offsetSeconds,
    cells: [...cells.values()],
  };
}
