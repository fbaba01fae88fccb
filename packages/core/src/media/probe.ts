import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { MediaProbe } from '../ports/media-pipeline.js';
import { runMedia } from './process-runner.js';

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  duration?: string;
}

interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: { duration?: string };
}

/** Facts of a finished clip (MP4, ours) via ffprobe; saves do not call it. */
export async function ffprobeClip(
  ffprobePath: string,
  filePath: string,
  signal?: AbortSignal,
): Promise<MediaProbe> {
  const { stdout } = await runMedia({
    binary: ffprobePath,
    timeoutMs: 30_000,
    ...(signal ? { signal } : {}),
    args: [
      '-v',
      'error',
      '-protocol_whitelist',
      'file',
      '-show_streams',
      '-show_format',
      '-of',
      'json',
      filePath,
    ],
  });
  return toMediaProbe(JSON.parse(stdout) as FfprobeJson);
}

export function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const [num, den] = rate.split('/').map(Number);
  if (!num || !Number.isFinite(num)) return null;
  const value = den ? num / den : num;
  return Number.isFinite(value) && value > 0 ? value : null;
}

function toMediaProbe(json: FfprobeJson): MediaProbe {
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const formatDuration = Number.parseFloat(json.format?.duration ?? '');
  const videoDuration = Number.parseFloat(video?.duration ?? '');
  return {
    durationSeconds: Number.isFinite(formatDuration)
      ? formatDuration
      : Number.isFinite(videoDuration)
        ? videoDuration
        : 0,
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    videoCodec: video?.codec_name ?? null,
    audioCodec: audio?.codec_name ?? null,
    frameRate: parseRate(video?.avg_frame_rate) ?? parseRate(video?.r_frame_rate),
  };
}

/** SHA-256 (hex) and size of a file, read as a stream (never the whole file in memory). */
export function sha256File(
  filePath: string,
  signal?: AbortSignal,
): Promise<{ sha256: string; sizeBytes: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    const stream = createReadStream(filePath, { highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
    stream.on('data', (chunk) => {
      const buffer = chunk as Buffer;
      size += buffer.length;
      hash.update(buffer);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve({ sha256: hash.digest('hex'), sizeBytes: size }));
  });
}
