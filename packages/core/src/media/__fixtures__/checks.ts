import { spawn } from 'node:child_process';

/** What `ffmpeg -v error -i file -f null -` prints: empty when the file decodes cleanly. */
export function decodeErrors(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', () => resolve(err.trim()));
  });
}

/** Steps between consecutive frame stamps: all positive, how many are not one frame, the big ones. */
export function frameSteps(stamps: number[], frameMs: number) {
  const steps = stamps.slice(1).map((s, i) => s - stamps[i]!);
  return {
    increasing: steps.every((d) => d > 0),
    irregular: steps.filter((d) => Math.abs(d - frameMs) > 1.5).length,
    bigSteps: steps.filter((d) => d > frameMs * 1.5),
  };
}

/** start_time of the first video and audio streams, seconds. */
export function streamStarts(file: string): Promise<{ video: number; audio: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.env.FFPROBE_PATH ?? 'ffprobe',
      ['-v', 'error', '-show_entries', 'stream=codec_type,start_time', '-of', 'json', file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const streams = (JSON.parse(out) as { streams: { codec_type: string; start_time: string }[] }).streams;
      const start = (type: string) =>
        Number(streams.find((x) => x.codec_type === type)?.start_time ?? Number.NaN);
      resolve({ video: start('video'), audio: start('audio') });
    });
  });
}
