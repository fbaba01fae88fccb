import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { MediaProbe } from '../ports/media-pipeline.js';
import { runForText } from './binaries.js';

interface FfprobeStream {
  index?: number;
  id?: string;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  level?: number;
  pix_fmt?: string;
  width?: number;
  height?: number;
  has_b_frames?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_aspect_ratio?: string;
  color_range?: string;
  color_space?: string;
  color_transfer?: string;
  color_primaries?: string;
  duration?: string;
  start_time?: string;
  sample_rate?: string;
  channels?: number;
}

export interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: { duration?: string; start_time?: string; bit_rate?: string };
  programs?: { program_num?: number; pmt_pid?: number; streams?: FfprobeStream[] }[];
}

export async function ffprobeJson(
  ffprobePath: string,
  filePath: string,
  options: { programs?: boolean; signal?: AbortSignal } = {},
): Promise<FfprobeJson> {
  const args = ['-v', 'error', '-show_streams', '-show_format', '-of', 'json'];
  if (options.programs) args.push('-show_programs');
  args.push(filePath);
  const text = await runForText(ffprobePath, args, options.signal ? { signal: options.signal } : {});
  return JSON.parse(text) as FfprobeJson;
}

export function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const [num, den] = rate.split('/').map(Number);
  if (!num || !Number.isFinite(num)) return null;
  const value = den ? num / den : num;
  return Number.isFinite(value) && value > 0 ? value : null;
}

export function toMediaProbe(json: FfprobeJson): MediaProbe {
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
