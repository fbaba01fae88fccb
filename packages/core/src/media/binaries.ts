import { spawn } from 'node:child_process';

/** ffmpeg binary: explicit option, then FFMPEG_PATH, then `ffmpeg` on PATH. */
export function resolveFfmpegPath(explicit?: string): string {
  return explicit || process.env.FFMPEG_PATH || 'ffmpeg';
}

/** ffprobe binary: explicit option, then FFPROBE_PATH, then `ffprobe` on PATH. */
export function resolveFfprobePath(explicit?: string): string {
  return explicit || process.env.FFPROBE_PATH || 'ffprobe';
}

/** Keeps only the last `limit` characters of a growing text (ffmpeg's stderr). */
export class TextTail {
  private text = '';
  constructor(private readonly limit = 4000) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text.slice(-this.limit).trim();
  }
}

export class ProcessFailure extends Error {
  override readonly name = 'ProcessFailure';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    readonly aborted: boolean,
  ) {
    super(message);
  }
}

/**
 * Runs a short-lived helper process (ffprobe) and collects stdout as text. The output of
 * the commands used here is small (a few hundred lines); big media never passes through.
 */
export function runForText(
  command: string,
  args: string[],
  options: { signal?: AbortSignal; maxStdoutBytes?: number } = {},
): Promise<string> {
  const maxStdout = options.maxStdoutBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ProcessFailure(`${command} aborted before it started`, null, '', true));
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    const stderr = new TextTail();
    let aborted = false;
    let overflow = false;
    const onAbort = () => {
      aborted = true;
      child.kill('SIGKILL');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxStdout) {
        overflow = true;
        child.kill('SIGKILL');
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new ProcessFailure(`could not run ${command}: ${error.message}`, null, '', false));
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (aborted) reject(new ProcessFailure(`${command} aborted`, code, stderr.toString(), true));
      else if (overflow) reject(new ProcessFailure(`${command} wrote too much output`, code, '', false));
      else if (code !== 0)
        reject(new ProcessFailure(`${command} exited with ${code}`, code, stderr.toString(), false));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
