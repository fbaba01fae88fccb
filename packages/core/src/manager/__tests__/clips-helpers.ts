/** Media measurements shared by the clip tests (real ffmpeg/ffprobe, no fakes). */
import { spawn } from 'node:child_process';
import { readFrameStamps } from '@livekit-replay/testing';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';

export function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve({ stdout, stderr })
        : reject(new Error(`${command} exited ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

export const ffmpeg = (args: string[]) => run(FFMPEG, ['-nostdin', '-hide_banner', ...args]);

/** The parts of ffprobe's JSON the tests read. */
export interface ProbeJson {
  format: { format_name: string; duration: string; start_time: string };
  streams: Array<{ codec_name: string; codec_type: string; width?: number; height?: number }>;
  frames: Array<{ pts_time?: string; best_effort_timestamp_time?: string }>;
}

export async function ffprobeJson(file: string, extra: string[] = []): Promise<ProbeJson> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-print_format', 'json', ...extra, file]);
  return JSON.parse(stdout) as ProbeJson;
}

/** Presentation time (s) of every video frame, in presentation order. */
export async function videoFramePts(file: string): Promise<number[]> {
  const json = await ffprobeJson(file, [
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=pts_time,best_effort_timestamp_time',
    '-show_frames',
  ]);
  const times = json.frames.map((f) =>
    Number.parseFloat(f.pts_time ?? f.best_effort_timestamp_time ?? 'NaN'),
  );
  return times.sort((a, b) => a - b);
}

/** Onsets (s, stream time) of the emulator's 1 kHz beeps: ends of the silences between them. */
export async function beepOnsets(file: string): Promise<number[]> {
  const { stderr } = await ffmpeg([
    '-v',
    'info',
    '-nostats',
    '-copyts',
    '-i',
    file,
    '-map',
    '0:a:0',
    '-af',
    'silencedetect=noise=-40dB:d=0.3',
    '-f',
    'null',
    '-',
  ]);
  return [...stderr.matchAll(/silence_end: (-?[\d.]+)/g)].map((m) => Number.parseFloat(m[1]!));
}

export interface SyncReport {
  /** Audio onset minus video instant of the same wall-clock second, ms, one per second in the file. */
  offsetsMs: number[];
  maxAbsMs: number;
}

/**
 * A/V sync: for each whole wall-clock second W inside the file, the video shows W at
 * pts(frame) + (W − stamp(frame)) and the beep for W starts at an audio onset; the difference
 * is the sync error at that moment.
 */
export async function measureAvSync(file: string, referenceMs: number): Promise<SyncReport> {
  const [stamps, pts, onsets] = await Promise.all([
    readFrameStamps(file, { referenceMs }),
    videoFramePts(file),
    beepOnsets(file),
  ]);
  if (stamps.length !== pts.length) throw new Error(`${stamps.length} stamps but ${pts.length} frame times`);
  const frameMs = (stamps.at(-1)! - stamps[0]!) / Math.max(1, stamps.length - 1);
  const offsetsMs: number[] = [];
  const firstSecond = Math.ceil(stamps[0]! / 1000) * 1000;
  for (let w = firstSecond; w < stamps.at(-1)!; w += 1000) {
    const i = stamps.findIndex((s) => s <= w && w < s + frameMs);
    if (i < 0) continue;
    const videoAt = pts[i]! + (w - stamps[i]!) / 1000;
    // The onset nearest that instant (beeps are a second apart, so there is no ambiguity).
    const onset = onsets.reduce<number | null>(
      (best, o) => (best === null || Math.abs(o - videoAt) < Math.abs(best - videoAt) ? o : best),
      null,
    );
    if (onset === null || Math.abs(onset - videoAt) > 0.4) continue;
    offsetsMs.push(Math.round((onset - videoAt) * 10000) / 10);
  }
  return { offsetsMs, maxAbsMs: Math.max(0, ...offsetsMs.map(Math.abs)) };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
