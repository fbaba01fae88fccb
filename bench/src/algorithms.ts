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
  /** fMP4 prototype only: directory of per-segment fragments made when the segments landed. */
  fragmentsDir?: string;
  /** End-to-end save only: the buffer as the manager sees it. */
  capture?: CaptureTarget;
  /** Fragment-cache variants of ours: the core FragmentCache directory, warmed beforehand. */
  coreFragmentsDir?: string;
}

export interface ClipOutcome {
  sizeBytes: number;
  sha256: string | null;
  /** Which way the pipeline produced the clip (`fragments` or `remux`), when it says. */
  path?: string;
}

export type AlgorithmName =
  | 'cat'
  | 'cat-fsync'
  | 'concat-hash'
  | 'seed'
  | 'ours-fast'
  | 'ours-accurate'
  | 'ours-fast-frag'
  | 'ours-accurate-frag'
  | 'capture'
  | 'fmp4-proto';

export const ALGORITHM_LABELS: Record<AlgorithmName, string> = {
  cat: '`cat` of the segments (floor, no fsync)',
  'cat-fsync': '`cat` + fsync',
  'concat-hash': 'byte concat + streaming SHA-256 (Node)',
  seed: "seed's algorithm",
  'ours-fast': 'ours, fast (keyframe snap)',
  'ours-accurate': 'ours, accurate (smart cut)',
  'ours-fast-frag': 'ours, fast, fragment cache (warm)',
  'ours-accurate-frag': 'ours, accurate, fragment cache (warm)',
  capture: 'ours end to end: `captureReplay` (accurate, no fragment cache)',
  'fmp4-proto': 'prototype: pre-remuxed fMP4 fragments, concat + hash',
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

async function ours(job: ClipJob, mode: 'fast' | 'accurate', fragments = false): Promise<ClipOutcome> {
  if (fragments && !job.coreFragmentsDir)
    throw new Error('the fragment-cache variant needs coreFragmentsDir');
  // A fresh pipeline per save: its segment prober starts cold, as for new boundary segments.
  const pipeline = new FfmpegMediaPipeline(
    fragments && job.coreFragmentsDir ? { fragmentCacheDir: job.coreFragmentsDir } : {},
  );
  const result = await pipeline.cut({
    segments: job.segments,
    startMs: job.startMs,
    endMs: job.endMs,
    mode,
    outputPath: job.outputPath,
    workDir: join(job.workDir, `ours-${process.pid}-${Date.now()}`),
  });
  return {
    sizeBytes: result.sizeBytes,
    sha256: result.sha256,
    ...((result as { path?: string }).path ? { path: (result as { path?: string }).path } : {}),
  };
}

export function runAlgorithm(name: AlgorithmName, job: ClipJob): Promise<ClipOutcome> {
  switch (name) {
    case 'cat':
      return catSegments(job, false);
    case 'cat-fsync':
      return catSegments(job, true);
    case 'concat-hash':
      return concatWithHash(job);
    case 'seed':
      return seed(job);
    case 'ours-fast':
      return ours(job, 'fast');
    case 'ours-accurate':
      return ours(job, 'accurate');
    case 'ours-fast-frag':
      return ours(job, 'fast', true);
    case 'ours-accurate-frag':
      return ours(job, 'accurate', true);
    case 'capture':
      if (!job.capture) throw new Error('capture needs the buffer layout');
      return captureViaManager(job, job.capture);
    case 'fmp4-proto':
      if (!job.fragmentsDir) throw new Error('fmp4-proto needs fragmentsDir');
      return import('./fmp4.js').then((m) =>
        m.saveFromFragments(job.segments, job.fragmentsDir!, job.outputPath),
      );
  }
}
