import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  readSegmentIndex,
  type Segment,
  type SegmentIndexSnapshot,
  selectSegments,
} from '@livekit-replay/core/adapter';
import { readFrameStamps } from '@livekit-replay/testing';
import { type AlgorithmName, type ClipJob, runAlgorithm } from './algorithms.js';
import type { CaptureTarget } from './capture.js';
import type { Fixture } from './fixtures.js';
import { type MemoryMeasurement, measureInChild } from './memory.js';
import { errorMessage, log, median, nowMs, probeDurationSeconds } from './util.js';

export interface ClipCell {
  algorithm: AlgorithmName;
  timesMs: number[];
  medianMs: number;
  sizeBytes: number | null;
  /** ffprobe duration of the output (null for raw byte copies). */
  outputSeconds: number | null;
  /** Frame-stamp check of the output (only on the shortest save, where decoding is cheap). */
  check: StampCheck | null;
  /** Paths the pipeline reported over the runs (`fragments` / `remux`). */
  paths: string[];
  error: string | null;
}

export interface StampCheck {
  frames: number;
  /** Consecutive frames whose stamps are not one frame apart. */
  jumps: number;
  /** First frame's stamp minus the requested start, ms. */
  startErrorMs: number;
  /** Last frame's end minus the requested end, ms. */
  endErrorMs: number;
}

/** Decodes every frame of `path` and compares the burnt-in stamps with the requested range. */
export async function stampCheck(
  path: string,
  startMs: number,
  endMs: number,
  fps: number,
): Promise<StampCheck> {
  const stamps = await readFrameStamps(path, { referenceMs: startMs });
  const frameMs = 1000 / fps;
  let jumps = 0;
  for (let i = 1; i < stamps.length; i++) if (Math.abs(stamps[i]! - stamps[i - 1]! - frameMs) > 2) jumps++;
  return {
    frames: stamps.length,
    jumps,
    startErrorMs: (stamps[0] ?? Number.NaN) - startMs,
    endErrorMs: (stamps.at(-1) ?? Number.NaN) + frameMs - endMs,
  };
}

export interface ClipRow {
  minutes: number;
  requestedSeconds: number;
  segmentCount: number;
  segmentBytes: number;
  /** Seconds of media the selected segments hold. */
  segmentSeconds: number;
  cells: ClipCell[];
}

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

/** The segments and range of a "save the last N minutes" on the buffer. */
export function lastMinutesJob(
  snapshot: SegmentIndexSnapshot,
  minutes: number,
  outputPath: string,
  workDir: string,
): ClipJob {
  const endMs = snapshot.endMs!;
  const startMs = endMs - minutes * 60_000;
  const selected = selectSegments(snapshot, { startMs, endMs });
  if (!selected.ok) throw new Error(`cannot select ${minutes} min: ${selected.message}`);
  if (selected.selection.startClamped) {
    throw new Error(
      `the fixture holds less than ${minutes} min (buffer starts ${selected.selection.startMs})`,
    );
  }
  return { segments: selected.selection.segments, startMs, endMs, outputPath, workDir };
}

const totalBytes = (segments: Segment[]) => segments.reduce((sum, s) => sum + s.sizeBytes, 0);
const totalSeconds = (segments: Segment[]) => segments.reduce((sum, s) => sum + s.durationSeconds, 0);

/**
 * Times every algorithm on "save the last N minutes" for each N, interleaved (repeat 1 of
 * every algorithm, then repeat 2, …) so background load affects them alike. Everything is
 * warm: one discarded `cat` of the same segments runs first, so the segments are in the page
 * cache for every measured run. Outputs are deleted after each run (their dirty pages are
 * dropped, not written back, for every algorithm alike).
 */
export async function benchClips(options: {
  snapshot: SegmentIndexSnapshot;
  minutes: number[];
  algorithms: AlgorithmName[];
  repeats: number;
  workRoot: string;
  fragmentsDir?: string;
  capture?: CaptureTarget;
  coreFragmentsDir?: string;
  /** Frame rate of the fixture, for the frame-stamp check of the shortest save. */
  fps: number;
}): Promise<ClipRow[]> {
  const checkMinutes = Math.min(...options.minutes);
  const rows: ClipRow[] = [];
  await mkdir(options.workRoot, { recursive: true });
  for (const minutes of options.minutes) {
    const outputPath = join(options.workRoot, `clip-${minutes}m.out`);
    const base = lastMinutesJob(options.snapshot, minutes, outputPath, options.workRoot);
    const job: ClipJob = {
      ...base,
      ...(options.fragmentsDir ? { fragmentsDir: options.fragmentsDir } : {}),
      ...(options.capture ? { capture: options.capture } : {}),
      ...(options.coreFragmentsDir ? { coreFragmentsDir: options.coreFragmentsDir } : {}),
    };
    await runAlgorithm('cat', job);
    await rm(outputPath, { force: true });
    const cells = new Map<AlgorithmName, ClipCell>(
      options.algorithms.map((algorithm) => [
        algorithm,
        {
          algorithm,
          timesMs: [],
          medianMs: Number.NaN,
          sizeBytes: null,
          outputSeconds: null,
          check: null,
          paths: [],
          error: null,
        },
      ]),
    );
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      for (const algorithm of options.algorithms) {
        const cell = cells.get(algorithm)!;
        if (cell.error) continue;
        try {
          const started = nowMs();
          const outcome = await runAlgorithm(algorithm, job);
          cell.timesMs.push(nowMs() - started);
          cell.sizeBytes = outcome.sizeBytes;
          if (outcome.path && !cell.paths.includes(outcome.path)) cell.paths.push(outcome.path);
          if (
            repeat === 0 &&
            !algorithm.startsWith('cat') &&
            algorithm !== 'concat-hash' &&
            algorithm !== 'capture'
          ) {
            cell.outputSeconds = await probeDurationSeconds(outputPath);
            if (minutes === checkMinutes) {
              cell.check = await stampCheck(outputPath, job.startMs, job.endMs, options.fps);
            }
          }
        } catch (error) {
          cell.error = errorMessage(error);
          log(`  ${algorithm} ${minutes} min failed: ${cell.error}`);
        } finally {
          await rm(outputPath, { force: true });
          await rm(`${outputPath}.tmp.mp4`, { force: true });
        }
      }
    }
    for (const cell of cells.values()) cell.medianMs = median(cell.timesMs);
    const row: ClipRow = {
      minutes,
      requestedSeconds: minutes * 60,
      segmentCount: job.segments.length,
      segmentBytes: totalBytes(job.segments),
      segmentSeconds: totalSeconds(job.segments),
      cells: [...cells.values()],
    };
    log(
      `  ${minutes} min: ${row.cells.map((c) => `${c.algorithm} ${(c.medianMs / 1000).toFixed(2)} s`).join(', ')}`,
    );
    rows.push(row);
  }
  return rows;
}

export interface MemoryRow {
  minutes: number;
  results: Array<MemoryMeasurement | { algorithm: AlgorithmName; error: string }>;
}

/** Peak memory of each algorithm saving the last N minutes, each in its own child process. */
export async function benchMemory(options: {
  snapshot: SegmentIndexSnapshot;
  minutes: number;
  algorithms: AlgorithmName[];
  workRoot: string;
  fragmentsDir?: string;
  capture?: CaptureTarget;
  coreFragmentsDir?: string;
}): Promise<MemoryRow> {
  await mkdir(options.workRoot, { recursive: true });
  const outputPath = join(options.workRoot, `mem-${options.minutes}m.out`);
  const base = lastMinutesJob(options.snapshot, options.minutes, outputPath, options.workRoot);
  const job: ClipJob = {
    ...base,
    ...(options.fragmentsDir ? { fragmentsDir: options.fragmentsDir } : {}),
    ...(options.capture ? { capture: options.capture } : {}),
    ...(options.coreFragmentsDir ? { coreFragmentsDir: options.coreFragmentsDir } : {}),
  };
  const results: MemoryRow['results'] = [];
  for (const algorithm of options.algorithms) {
    try {
      const m = await measureInChild(algorithm, job, options.workRoot);
      results.push(m);
      log(
        `  memory ${algorithm}: node ${(m.nodePeakRssBytes / 2 ** 20).toFixed(0)} MiB, helper ${(m.helperPeakRssBytes / 2 ** 20).toFixed(0)} MiB`,
      );
    } catch (error) {
      results.push({ algorithm, error: errorMessage(error) });
    } finally {
      await rm(outputPath, { force: true });
      await rm(`${outputPath}.tmp.mp4`, { force: true });
    }
  }
  return { minutes: options.minutes, results };
}
