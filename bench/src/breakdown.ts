import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type AlgorithmName, type ClipJob, runAlgorithm } from './algorithms.js';
import { FFMPEG, FFPROBE, median, nowMs, run } from './util.js';

export interface Step {
  tool: string;
  what: string;
  ms: number;
  /** Start relative to the start of the save, ms. */
  atMs: number;
}

export interface Breakdown {
  algorithm: AlgorithmName;
  totalMs: number;
  steps: Step[];
  /** Wall time with no ffmpeg/ffprobe running (Node: planning, hashing, file handling). */
  otherMs: number;
}

async function which(binary: string): Promise<string> {
  if (binary.includes('/')) return binary;
  return (await run('sh', ['-c', `command -v ${binary}`])).trim();
}

function classify(tool: string, args: string): string {
  if (tool === 'ffprobe') {
    if (args.includes('packet=pts_time,duration_time,flags'))
      return "ffprobe: a segment's frame and keyframe times";
    if (args.includes('packet=pts_time')) return 'ffprobe: frame check of the whole output (packet list)';
    if (args.includes('-show_programs')) return 'ffprobe: source stream facts (codec, PIDs)';
    if (args.includes('concat:') || args.startsWith('-show_streams'))
      return 'ffprobe by fluent-ffmpeg of the input (for progress)';
    return 'ffprobe: output facts';
  }
  if (args === '-formats' || args === '-encoders' || args === '-codecs' || args === '-filters') {
    return `fluent-ffmpeg capability check (ffmpeg ${args}, once per process)`;
  }
  if (args.includes('libx264')) return 'x264 re-encode of the head (first GOP)';
  if (args.includes('frag_keyframe')) return 'remux to fMP4 fragments (head or uncached segment)';
  if (args.includes('-f mp4')) return 'remux to MP4 (+faststart)';
  if (args.includes('-f mpegts')) return 'stream copy to MPEG-TS';
  return 'ffmpeg';
}

/**
 * One save with ffmpeg and ffprobe replaced by logging wrappers (FFMPEG_PATH / FFPROBE_PATH),
 * to show where the time goes. The wrappers add a few ms per call; the totals here are for
 * explanation, the timed table is measured without them.
 */
export async function breakdown(
  algorithm: AlgorithmName,
  job: ClipJob,
  workRoot: string,
): Promise<Breakdown> {
  await mkdir(workRoot, { recursive: true });
  const dir = await mkdtemp(join(workRoot, 'shim-'));
  const logFile = join(dir, 'calls.log');
  const saved = { ffmpeg: process.env.FFMPEG_PATH, ffprobe: process.env.FFPROBE_PATH };
  try {
    for (const [name, real] of [
      ['ffmpeg', await which(FFMPEG)],
      ['ffprobe', await which(FFPROBE)],
    ] as const) {
      const script = join(dir, name);
      await writeFile(
        script,
        `#!/bin/sh\ns=$(date +%s%N)\n"${real}" "$@"\nrc=$?\ne=$(date +%s%N)\nprintf '%s %s ${name} %s\\n' "$s" "$e" "$*" >> "${logFile}"\nexit $rc\n`,
      );
      await chmod(script, 0o755);
    }
    await writeFile(logFile, '');
    process.env.FFMPEG_PATH = join(dir, 'ffmpeg');
    process.env.FFPROBE_PATH = join(dir, 'ffprobe');
    const startedEpochNs = BigInt(Date.now()) * 1_000_000n;
    const started = nowMs();
    await runAlgorithm(algorithm, job);
    const totalMs = nowMs() - started;
    const steps: Array<Step & { endMs: number }> = [];
    for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
      const m = /^(\d+) (\d+) (\S+) (.*)$/.exec(line);
      if (!m) continue;
      const atMs = Number(BigInt(m[1]!) - startedEpochNs) / 1e6;
      const endMs = Number(BigInt(m[2]!) - startedEpochNs) / 1e6;
      steps.push({ tool: m[3]!, what: classify(m[3]!, m[4]!), ms: endMs - atMs, atMs, endMs });
    }
    steps.sort((a, b) => a.atMs - b.atMs);
    // Wall time covered by at least one tool (calls can overlap).
    let covered = 0;
    let reach = Number.NEGATIVE_INFINITY;
    for (const step of steps) {
      const from = Math.max(step.atMs, reach);
      if (step.endMs > from) covered += step.endMs - from;
      reach = Math.max(reach, step.endMs);
    }
    return {
      algorithm,
      totalMs,
      steps: steps.map(({ endMs: _end, ...step }) => step),
      otherMs: Math.max(0, totalMs - covered),
    };
  } finally {
    if (saved.ffmpeg === undefined) delete process.env.FFMPEG_PATH;
    else process.env.FFMPEG_PATH = saved.ffmpeg;
    if (saved.ffprobe === undefined) delete process.env.FFPROBE_PATH;
    else process.env.FFPROBE_PATH = saved.ffprobe;
    await rm(job.outputPath, { force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RemuxVariant {
  label: string;
  medianMs: number;
  timesMs: number[];
}

/**
 * The remux alone (no probes, no hash), three ways, on the same save: what `+faststart` costs
 * (a second pass that moves the moov to the front) and what a fragmented MP4 written in one
 * pass would cost instead. `concat:` input as in the pipeline.
 */
export async function remuxVariants(job: ClipJob, repeats: number): Promise<RemuxVariant[]> {
  const dir = dirname(job.segments[0]!.path);
  const input = `concat:${job.segments.map((segment) => basename(segment.path)).join('|')}`;
  const variants: Array<{ label: string; flags: string[] }> = [
    { label: 'MP4 with `+faststart` (as ours)', flags: ['-movflags', '+faststart'] },
    { label: 'MP4, moov at the end (no faststart)', flags: [] },
    {
      label: 'fragmented MP4 in one pass (`frag_keyframe+empty_moov+default_base_moof`)',
      flags: ['-movflags', 'frag_keyframe+empty_moov+default_base_moof'],
    },
  ];
  const times = variants.map(() => [] as number[]);
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const [i, variant] of variants.entries()) {
      const started = nowMs();
      try {
        await run(
          FFMPEG,
          [
            '-hide_banner',
            '-loglevel',
            'error',
            '-y',
            '-i',
            input,
            '-map',
            '0',
            '-c',
            'copy',
            '-bsf:a',
            'aac_adtstoasc',
            ...variant.flags,
            '-f',
            'mp4',
            job.outputPath,
          ],
          { cwd: dir },
        );
        times[i]!.push(nowMs() - started);
      } finally {
        await rm(job.outputPath, { force: true });
      }
    }
  }
  return variants.map((variant, i) => ({
    label: variant.label,
    timesMs: times[i]!,
    medianMs: median(times[i]!),
  }));
}
