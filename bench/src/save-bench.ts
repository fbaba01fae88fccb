import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  probeSegmentFile,
  readSegmentIndex,
  type Segment,
  type SegmentIndexSnapshot,
  selectSegments,
} from '@livekit-replay/core/adapter';
import type { AlgorithmName, ClipJob } from './algorithms.js';
import type { Fixture } from './fixtures.js';
import { ingestSegment } from './fragment-remux.js';
import { type MemoryMeasurement, measureInChild } from './memory.js';
import { FFMPEG, log, median, nowMs, probeDurationSeconds, run } from './util.js';

/** Every save is one fresh Node process: wall time, CPU (children included), peaks, processes. */
export interface SaveRun extends MemoryMeasurement {}

export interface SaveRow {
  label: string;
  /** Requested seconds. */
  seconds: number;
  segments: number;
  bytes: number;
  /** Where the request falls inside its first and last segments (s from their starts). */
  startOffsetSeconds: number;
  endOffsetSeconds: number;
  runs: Partial<Record<AlgorithmName, SaveRun[]>>;
  /** Output duration (ffprobe) minus the requested duration, first run of each. */
  durationError: Partial<Record<AlgorithmName, number | null>>;
}

export const SAVE_ALGORITHMS: AlgorithmName[] = [
  'concat-hash',
  'seed',
  'ours-fast',
  'ours-accurate',
  'ffmpeg-accurate',
];

export async function readFixtureIndex(fixture: Fixture): Promise<SegmentIndexSnapshot> {
  return readSegmentIndex({
    dir: fixture.dir,
    filenamePrefix: fixture.filenamePrefix,
    playlistName: fixture.playlistName,
    livePlaylistName: fixture.livePlaylistName,
    naming: 'INDEX',
    segmentDurationSeconds: fixture.params.segmentSeconds,
  });
}

/**
 * "Save the last N seconds" as a live save asks it: the end falls inside the newest segment
 * (0.7 s before the buffer's end) and the start inside a GOP, so accurate mode re-encodes a head.
 */
export function liveSaveJob(snapshot: SegmentIndexSnapshot, seconds: number, workDir: string): ClipJob {
  const endMs = snapshot.endMs! - 700;
  const startMs = endMs - seconds * 1000;
  const selected = selectSegments(snapshot, { startMs, endMs });
  if (!selected.ok) throw new Error(`cannot select ${seconds} s: ${selected.message}`);
  if (selected.selection.startClamped) throw new Error(`the fixture holds less than ${seconds} s`);
  return {
    segments: selected.selection.segments,
    startMs,
    endMs,
    outputPath: join(workDir, 'out.mp4'),
    workDir,
  };
}

const offsetIn = (segment: Segment, ms: number) => (ms - segment.startMs) / 1000;

/**
 * Runs each algorithm on each job, interleaved (repeat 1 of every algorithm, then repeat 2, …)
 * so background load affects them alike. A discarded `cat` warms the page cache first.
 */
export async function benchSaves(options: {
  jobs: Array<{ label: string; seconds: number; job: ClipJob; algorithms: AlgorithmName[] }>;
  repeats: number;
  workRoot: string;
}): Promise<SaveRow[]> {
  const rows: SaveRow[] = [];
  for (const { label, seconds, job, algorithms } of options.jobs) {
    const dir = join(options.workRoot, `save-${label.replace(/\W+/g, '-')}`);
    await mkdir(dir, { recursive: true });
    const base = { ...job, workDir: dir };
    await measureInChild('cat', { ...base, outputPath: join(dir, 'warm.out') }, dir);
    await rm(join(dir, 'warm.out'), { force: true });
    const row: SaveRow = {
      label,
      seconds,
      segments: job.segments.length,
      bytes: job.segments.reduce((sum, s) => sum + s.sizeBytes, 0),
      startOffsetSeconds: offsetIn(job.segments[0]!, job.startMs),
      endOffsetSeconds: offsetIn(job.segments.at(-1)!, job.endMs),
      runs: {},
      durationError: {},
    };
    for (let r = 0; r < options.repeats; r++) {
      for (const algorithm of algorithms) {
        const outputPath = join(dir, `${algorithm}.mp4`);
        const run = await measureInChild(algorithm, { ...base, outputPath }, dir);
        row.runs[algorithm] = [...(row.runs[algorithm] ?? []), run];
        if (r === 0) {
          row.durationError[algorithm] =
            algorithm === 'concat-hash' || algorithm === 'capture'
              ? null
              : (await probeDurationSeconds(outputPath)) - seconds;
        }
        await rm(outputPath, { force: true });
        log(
          `  ${label} ${algorithm} #${r + 1}: ${(run.ms / 1000).toFixed(2)} s, cpu ${run.cpuSeconds.toFixed(2)} s`,
        );
      }
    }
    rows.push(row);
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

export interface IdleCost {
  segmentSeconds: number;
  /** In-process read of one segment's headers (what the index or a save pays per boundary segment), ms. */
  probeMs: number[];
  /** Remuxing one segment to an fMP4 fragment (what the removed fragment cache paid per segment), ms. */
  fragmentRemuxMs: number[];
  /** CPU-seconds of one `ffmpeg -version` (process start-up alone), median of 5. */
  startupCpuSeconds: number;
}

/** CPU time of the children this process has waited for (cutime + cstime), seconds. */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return (fields[13]! + fields[14]!) / 100;
}

/** What per-segment work would cost for idle buffers (measured on a sample of segments). */
export async function benchIdleCost(
  segments: Segment[],
  workRoot: string,
  segmentSeconds: number,
): Promise<IdleCost> {
  const sample = segments.slice(0, 20);
  const probeMs: number[] = [];
  for (const s of sample) {
    const t = nowMs();
    await probeSegmentFile(s.path);
    probeMs.push(nowMs() - t);
  }
  const dir = join(workRoot, 'fragments');
  const fragmentRemuxMs: number[] = [];
  for (const s of sample) {
    const t = nowMs();
    await ingestSegment(s, dir);
    fragmentRemuxMs.push(nowMs() - t);
  }
  await rm(dir, { recursive: true, force: true });
  const startup: number[] = [];
  for (let i = 0; i < 5; i++) {
    const before = childrenCpuSeconds();
    await run(FFMPEG, ['-version']);
    startup.push(childrenCpuSeconds() - before);
  }
  const startupCpuSeconds = median(startup);
  log(
    `  idle: probe ${median(probeMs).toFixed(1)} ms, fragment remux ${median(fragmentRemuxMs).toFixed(0)} ms per segment`,
  );
  return { segmentSeconds, probeMs, fragmentRemuxMs, startupCpuSeconds };
}
