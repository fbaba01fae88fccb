import ffmpeg from 'fluent-ffmpeg';
import { ProcessFailure, TextTail } from './binaries.js';

export interface FfmpegRun {
  ffmpegPath: string;
  /** Inputs in order, each with the options that go before its `-i`. */
  inputs: { url: string; options?: string[] }[];
  outputOptions: string[];
  output: string;
  /** Working directory (lets `concat:` inputs use short relative names). */
  cwd?: string;
  signal?: AbortSignal;
  /** Called with the output position in seconds as ffmpeg reports it. */
  onTime?: (seconds: number) => void;
}

function parseTimemark(mark: string | undefined): number | null {
  if (!mark) return null;
  const m = /^(-)?(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(mark.trim());
  if (!m) return null;
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
  return m[1] ? -seconds : seconds;
}

/**
 * Runs one ffmpeg command through fluent-ffmpeg. Rejects with a ProcessFailure carrying the
 * tail of ffmpeg's stderr; an abort kills ffmpeg (SIGKILL) and rejects with `aborted`.
 */
export function runFfmpeg(run: FfmpegRun): Promise<void> {
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) {
      reject(new ProcessFailure('ffmpeg aborted before it started', null, '', true));
      return;
    }
    const tail = new TextTail(6000);
    // fluent-ffmpeg keeps the last stdoutLines lines of output; ours are in TextTail already.
    const command = ffmpeg(run.cwd ? { cwd: run.cwd, stdoutLines: 20 } : { stdoutLines: 20 });
    command.setFfmpegPath(run.ffmpegPath);
    run.inputs.forEach((input, i) => {
      command.input(input.url);
      // Global options ride on the first input: no banner, never read stdin.
      const options = [...(i === 0 ? ['-hide_banner', '-nostdin'] : []), ...(input.options ?? [])];
      if (options.length) command.inputOptions(options);
    });
    command.outputOptions(run.outputOptions).output(run.output);

    let aborted = false;
    let settled = false;
    const onAbort = () => {
      aborted = true;
      command.kill('SIGKILL');
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (error: Error | null) => {
      if (settled) return;
      settled = true;
      run.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };

    command.on('stderr', (line: string) => tail.push(`${line}\n`));
    command.on('progress', (progress: { timemark?: string }) => {
      const seconds = parseTimemark(progress.timemark);
      if (seconds !== null && seconds >= 0) run.onTime?.(seconds);
    });
    command.on('error', (error: Error) => {
      finish(
        new ProcessFailure(
          aborted ? 'ffmpeg was aborted' : `ffmpeg failed: ${error.message.split('\n')[0]}`,
          null,
          tail.toString(),
          aborted,
        ),
      );
    });
    command.on('end', () => {
      if (aborted) finish(new ProcessFailure('ffmpeg was aborted', null, tail.toString(), true));
      else finish(null);
    });
    command.run();
  });
}
