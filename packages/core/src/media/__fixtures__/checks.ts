import { resolveFfmpegPath, resolveFfprobePath, runMedia } from '../process-runner.js';

/** What `ffmpeg -v error -i file -f null -` prints: empty when the file decodes cleanly. */
export async function decodeErrors(file: string): Promise<string> {
  const { stderrTail } = await runMedia({
    binary: resolveFfmpegPath(),
    args: ['-v', 'error', '-i', file, '-f', 'null', '-'],
    stdout: 'ignore',
    timeoutMs: 300_000,
  });
  return stderrTail.trim();
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
export async function streamStarts(file: string): Promise<{ video: number; audio: number }> {
  const { stdout } = await runMedia({
    binary: resolveFfprobePath(),
    args: ['-v', 'error', '-show_entries', 'stream=codec_type,start_time', '-of', 'json', file],
  });
  const streams = (JSON.parse(stdout) as { streams: { codec_type: string; start_time: string }[] }).streams;
  const start = (type: string) =>
    Number(streams.find((x) => x.codec_type === type)?.start_time ?? Number.NaN);
  return { video: start('video'), audio: start('audio') };
}
