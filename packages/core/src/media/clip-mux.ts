import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { EPS, planSeconds, type RunPlan } from './cut-plan.js';
import { concatUrl, relativeTo, type SourceFacts } from './head-encode.js';
import { type MediaProgress, runMedia, segmentInputArgs } from './process-runner.js';

export interface MuxOptions {
  ffmpegPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Output position (seconds from the clip's start). */
  onSeconds?: (seconds: number) => void;
}

export interface MuxedClip {
  sha256: string;
  sizeBytes: number;
  /** ffmpeg's final `-progress` block: what the muxer says it wrote. */
  progress: MediaProgress | null;
}

/**
 * Fragmented MP4 (moov first, then fragments starting on keyframes) can be written to a pipe,
 * so Node hashes the bytes as they stream to the file: no `+faststart` rewrite, no second read.
 * A browser walks the fragments to learn the duration, so they are long (about 16 MB of media,
 * 2–30 s): few fragments, while ffmpeg holds at most one fragment in memory.
 */
function fragmentedMp4(bitsPerSecond: number): string[] {
  const seconds = Math.min(30, Math.max(2, (FRAGMENT_BYTES * 8) / Math.max(bitsPerSecond, 1)));
  return [
    '-movflags',
    '+frag_keyframe+empty_moov+default_base_moof',
    '-min_frag_duration',
    String(Math.round(seconds * 1e6)),
    '-f',
    'mp4',
  ];
}
const FRAGMENT_BYTES = 16 * 1024 * 1024;

/** Average bitrate of segments (bytes over their playlist durations). */
const bitrateOf = (plans: RunPlan[]) => {
  const segments = plans.flatMap((p) => p.segments);
  const seconds = segments.reduce((sum, s) => sum + s.durationSeconds, 0);
  return (segments.reduce((sum, s) => sum + s.sizeBytes, 0) * 8) / Math.max(seconds, 0.001);
};

/** Copies one run (its re-encoded head, if any, then whole segments) into an MP4 clip, hashed while written. */
export function muxRunToClip(
  plan: RunPlan,
  headPath: string | undefined,
  source: SourceFacts,
  outputPath: string,
  options: MuxOptions,
): Promise<MuxedClip> {
  return copyRun(plan, headPath, source, 'mp4', outputPath, options);
}

/** Copies one run to MPEG-TS (a part of a clip that spans gaps). */
export async function muxRunToTs(
  plan: RunPlan,
  headPath: string | undefined,
  source: SourceFacts,
  outputPath: string,
  options: MuxOptions,
): Promise<void> {
  await copyRun(plan, headPath, source, 'mpegts', outputPath, options);
}

async function copyRun(
  plan: RunPlan,
  headPath: string | undefined,
  source: SourceFacts,
  format: 'mp4' | 'mpegts',
  outputPath: string,
  options: MuxOptions,
): Promise<MuxedClip> {
  const dir = path.dirname((plan.copy[0] ?? plan.segments[0]!).path);
  const parts = [...(headPath ? [headPath] : []), ...plan.copy.map((s) => relativeTo(dir, s))];
  const hasAudio = source.layout.audioPid !== null;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-copyts',
    ...segmentInputArgs(concatUrl(parts)),
    '-map',
    '0:v:0',
    ...(hasAudio ? ['-map', '0:a:0'] : []),
    // MP4 stores raw AAC; MPEG-TS keeps ADTS.
    ...(hasAudio && format === 'mp4' ? ['-bsf:a', 'aac_adtstoasc'] : []),
    '-c',
    'copy',
    // With -copyts these are stream times; the output starts at the first frame.
    '-ss',
    plan.firstPts.toFixed(6),
    '-to',
    (plan.endPts - EPS).toFixed(6),
    ...(format === 'mp4'
      ? fragmentedMp4(bitrateOf([plan]))
      : ['-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts']),
  ];
  return writeHashed(args, dir, outputPath, options, format === 'mp4');
}

/** Joins runs (MPEG-TS files in `dir`) across gaps with the concat demuxer and explicit durations. */
export async function joinRunsToClip(
  runFiles: { name: string; plan: RunPlan }[],
  dir: string,
  source: SourceFacts,
  outputPath: string,
  options: MuxOptions,
): Promise<MuxedClip> {
  const lines = ['ffconcat version 1.0'];
  for (const run of runFiles)
    lines.push(`file '${run.name}'`, `duration ${planSeconds(run.plan).toFixed(6)}`);
  await writeFile(path.join(dir, 'runs.ffconcat'), `${lines.join('\n')}\n`);
  const hasAudio = source.layout.audioPid !== null;
  const args = [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-f',
    'concat',
    '-safe',
    '0',
    '-protocol_whitelist',
    'file',
    '-i',
    'runs.ffconcat',
    '-map',
    '0:v:0',
    ...(hasAudio ? ['-map', '0:a:0', '-bsf:a', 'aac_adtstoasc'] : []),
    '-c',
    'copy',
    ...fragmentedMp4(bitrateOf(runFiles.map((r) => r.plan))),
  ];
  return writeHashed(args, dir, outputPath, options, true);
}

/** Runs ffmpeg writing to stdout (pipe:1) and streams its bytes through SHA-256 into `outputPath` (or, unhashed, straight to the file). */
async function writeHashed(
  args: string[],
  cwd: string,
  outputPath: string,
  options: MuxOptions,
  hashed: boolean,
): Promise<MuxedClip> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const toFile = !hashed;
  const result = await runMedia({
    binary: options.ffmpegPath,
    cwd,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    args: toFile ? [...args, outputPath] : [...args, 'pipe:1'],
    ...(toFile
      ? { stdout: 'ignore' as const }
      : {
          stdout: (stream) =>
            pipeline(
              stream,
              new Transform({
                transform(chunk: Buffer, _encoding, callback) {
                  hash.update(chunk);
                  sizeBytes += chunk.length;
                  callback(null, chunk);
                },
              }),
              createWriteStream(outputPath, { highWaterMark: 1 << 20 }),
            ),
        }),
    onProgress: (p) => {
      if (p.outTimeSeconds !== null) options.onSeconds?.(Math.max(0, p.outTimeSeconds));
    },
  });
  if (!toFile && sizeBytes === 0) {
    throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, 'ffmpeg wrote an empty clip');
  }
  return { sha256: hash.digest('hex'), sizeBytes, progress: result.progress };
}
