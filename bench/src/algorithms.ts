import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Segment } from '@livekit-replay/core/adapter';
import { FfmpegMediaPipeline } from '@livekit-replay/core/adapter';
import { type CaptureTarget, captureViaManager } from './capture.js';
import { FFMPEG, run } from './util.js';

/** One save: the segments selectSegments chose, the range, and where to write. */
export interface ClipJob {
  segments: Segment[];
  startMs: number;
  endMs: number;
  /** Output file (on the same disk as the segments). */
  outputPath: string;
  /** Scratch directory the algorithm may create and must remove. */
  workDir: string;
  /** End-to-end save only: the buffer as the manager sees it. */
  capture?: CaptureTarget;
}

export interface ClipOutcome {
  sizeBytes: number;
  sha256: string | null;
}

export type AlgorithmName =
  | 'cat'
  | 'concat-hash'
  | 'seed'
  | 'ours-fast'
  | 'ours-accurate'
  | 'ffmpeg-accurate'
  | 'capture'
  | 'seed-capture';

export const ALGORITHM_LABELS: Record<AlgorithmName, string> = {
  cat: '`cat` of the segments (no hash)',
  'concat-hash': 'hash floor: read + write + SHA-256 in Node',
  seed: "seed's algorithm",
  'ours-fast': 'ours, fast (keyframe snap)',
  'ours-accurate': 'ours, accurate (edit list)',
  'ffmpeg-accurate': 'previous ffmpeg pipeline, accurate (head re-encode)',
  capture: 'ours: `captureReplay` through the manager (accurate, poster, store)',
  'seed-capture': "seed's save of the same segments (+ its poster: one ffmpeg on the clip)",
};

/** `cat seg… > out`, optionally followed by fsync of the output. */
async function catSegments(job: ClipJob, fsync: boolean): Promise<ClipOutcome> {
  const out = await open(job.outputPath, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        'cat',
        job.segments.map((s) => s.path),
        { stdio: ['ignore', out.fd, 'pipe'] },
      );
      let err = '';
      child.stderr?.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cat failed: ${err}`))));
    });
    if (fsync) await out.sync();
    const { size } = await out.stat();
    return { sizeBytes: size, sha256: null };
  } finally {
    await out.close();
  }
}

/** Reads every segment once, writing it to the output and hashing it on the way (1 MiB chunks). */
async function concatWithHash(job: ClipJob): Promise<ClipOutcome> {
  const hash = createHash('sha256');
  const out = await open(job.outputPath, 'w');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let size = 0;
  try {
    for (const segment of job.segments) {
      const input = await open(segment.path, 'r');
      try {
        for (;;) {
          const { bytesRead } = await input.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          const chunk = buffer.subarray(0, bytesRead);
          hash.update(chunk);
          await out.write(chunk);
          size += bytesRead;
        }
      } finally {
        await input.close();
      }
    }
  } finally {
    await out.close();
  }
  return { sizeBytes: size, sha256: hash.digest('hex') };
}

/**
 * The seed's save: copy the segments into a temp directory, join them with the concat
 * demuxer (`-c copy -movflags +faststart`), rename, then read the whole file into memory to hash it.
 */
async function seed(job: ClipJob): Promise<ClipOutcome> {
  const temp = await mkdtemp(join(job.workDir, 'seed-'));
  const tempOutput = `${job.outputPath}.tmp.mp4`;
  try {
    const lines: string[] = [];
    for (const segment of job.segments) {
      const copy = join(temp, basename(segment.path));
      await copyFile(segment.path, copy);
      lines.push(`file '${copy}'`);
    }
    const list = join(temp, 'concat.txt');
    await writeFile(list, `${lines.join('\n')}\n`);
    await run(FFMPEG, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      list,
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      tempOutput,
    ]);
    await rename(tempOutput, job.outputPath);
    const whole = await readFile(job.outputPath);
    return { sizeBytes: whole.length, sha256: createHash('sha256').update(whole).digest('hex') };
  } finally {
    await rm(temp, { recursive: true, force: true });
    await rm(tempOutput, { force: true });
  }
}

async function ours(
  job: ClipJob,
  mode: 'fast' | 'accurate',
  remux: 'native' | 'ffmpeg' = 'native',
): Promise<ClipOutcome> {
  // A fresh pipeline per save, as production configures it (native remux, ffmpeg fallback).
  const pipeline = new FfmpegMediaPipeline({ remux });
  const result = await pipeline.cut({
    segments: job.segments,
    startMs: job.startMs,
    endMs: job.endMs,
    mode,
    outputPath: job.outputPath,
    workDir: join(job.workDir, `ours-${process.pid}-${Date.now()}`),
  });
  return { sizeBytes: result.sizeBytes, sha256: result.sha256 };
}

/** The seed's save followed by its poster (a frame of the finished clip, as the seed did). */
async function seedWithPoster(job: ClipJob): Promise<ClipOutcome> {
  const outcome = await seed(job);
  await run(FFMPEG, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-ss',
    '1',
    '-i',
    job.outputPath,
    '-frames:v',
    '1',
    '-vf',
    'scale=640:-2',
    `${job.outputPath}.jpg`,
  ]);
  await rm(`${job.outputPath}.jpg`, { force: true });
  return outcome;
}

export function runAlgorithm(name: AlgorithmName, job: ClipJob): Promise<ClipOutcome> {
  switch (name) {
    case 'cat':
      return catSegments(job, false);
    case 'concat-hash':
      return concatWithHash(job);
    case 'seed':
      return seed(job);
    case 'ours-fast':
      return ours(job, 'fast');
    case 'ours-accurate':
      return ours(job, 'accurate');
    case 'ffmpeg-accurate':
      return ours(job, 'accurate', 'ffmpeg');
    case 'capture':
      if (!job.capture) throw new Error('capture needs the buffer layout');
      return captureViaManager(job, job.capture);
    case 'seed-capture':
      return seedWithPoster(job);
  }
}
