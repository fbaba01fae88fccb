/** Media measurements shared by the clip tests (real ffmpeg/ffprobe, no fakes). */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { readFrameStamps } from '@livekit-replay/testing';
import { isReplayBufferError } from '../../errors.js';
import type { ReplayBufferManager } from '../replay-buffer-manager.js';

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

/**
 * A minimal integrator route for the trim preview, on real HTTP: a page with hls.js, the
 * playlist from getPreviewPlaylist and the segments from openPreviewSegment (as OWNER of the session).
 */
export async function servePreview(
  manager: ReplayBufferManager,
  sessionId: string,
  ownerId: string,
): Promise<{ server: Server; origin: string }> {
  const hlsPath = createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const fail = (error: unknown) => {
      res.statusCode = isReplayBufferError(error) ? error.status : 500;
      res.end(String(error));
    };
    if (url.pathname === '/') {
      res.setHeader('content-type', 'text/html');
      res.end(
        '<!doctype html><html><body><script src="/hls.js"></script><script src="/check.js"></script></body></html>',
      );
    } else if (url.pathname === '/check.js') {
      res.setHeader('content-type', 'text/javascript');
      createReadStream(new URL('./clips-preview-page.js', import.meta.url)).pipe(res);
    } else if (url.pathname === '/hls.js') {
      res.setHeader('content-type', 'text/javascript');
      createReadStream(hlsPath).pipe(res);
    } else if (url.pathname === `/api/replay/${sessionId}/preview/playlist.m3u8`) {
      manager.getPreviewPlaylist({ sessionId, userId: ownerId }).then((preview) => {
        res.setHeader('content-type', preview.mimeType);
        res.end(preview.playlist);
      }, fail);
    } else if (url.pathname.startsWith(`/api/replay/${sessionId}/preview/segment/`)) {
      const name = decodeURIComponent(url.pathname.split('/').pop() ?? '');
      manager.openPreviewSegment({ sessionId, userId: ownerId, name }).then((segment) => {
        res.setHeader('content-type', segment.mimeType);
        res.setHeader('content-length', segment.sizeBytes);
        segment.stream.pipe(res);
      }, fail);
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
