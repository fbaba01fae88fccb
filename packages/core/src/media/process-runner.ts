import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';

/**
 * The one way this library (and its emulator, tests and bench) runs ffmpeg and ffprobe:
 * every run has a timeout and honours an AbortSignal (both SIGKILL the process and wait for it
 * to exit), keeps only a bounded tail of stderr, reads `-progress` from its own pipe (fd 3), and
 * fails with a coded ReplayBufferError whose message carries no absolute server path.
 */
export interface MediaRunOptions {
  /** Binary to run (an ffmpeg or ffprobe path). */
  binary: string;
  args: string[];
  cwd?: string;
  /** Kill the process after this many ms (default 120 000). `Infinity` only for recorders. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** ffmpeg only: adds `-progress pipe:3 -nostats` and reports each progress block. */
  onProgress?: (progress: MediaProgress) => void;
  /**
   * What happens to stdout: `collect` (default; text, at most `maxStdoutBytes`), `ignore`, or a
   * consumer that reads the stream (e.g. hashes and writes it); its rejection kills the process.
   */
  stdout?: 'collect' | 'ignore' | ((stream: Readable) => Promise<void>);
  maxStdoutBytes?: number;
  /** How much of stderr's end to keep (default 4000 characters). */
  stderrTailChars?: number;
  /** `pipe` leaves stdin open for the caller (`handle.child.stdin`); default `ignore`. */
  stdin?: 'ignore' | 'pipe';
}

/** One `-progress` block (ffmpeg writes one about every 0.5 s and one at the end). */
export interface MediaProgress {
  frame: number | null;
  /** Output position, seconds (with `-copyts`, in the input's clock). */
  outTimeSeconds: number | null;
  totalSizeBytes: number | null;
  /** The final block (`progress=end`): the muxer's own account of what it wrote. */
  end: boolean;
}

export interface MediaRunResult {
  stdout: string;
  stderrTail: string;
  /** The last progress block, when progress was requested. */
  progress: MediaProgress | null;
}

export interface MediaRunHandle {
  child: ChildProcess;
  done: Promise<MediaRunResult>;
  /** Kills the process (SIGKILL); `done` rejects with MEDIA_ERROR unless it already settled. */
  kill(reason?: string): void;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const STDERR_TAIL_CHARS = 4000;

type SpawnListener = (info: { binary: string; args: readonly string[]; pid: number | undefined }) => void;
const spawnListeners = new Set<SpawnListener>();

/** Observes every process the runner starts (tests and the bench count processes per save). */
export function observeMediaSpawns(listener: SpawnListener): () => void {
  spawnListeners.add(listener);
  return () => spawnListeners.delete(listener);
}

/** Runs a process to completion; see {@link startMedia}. */
export function runMedia(options: MediaRunOptions): Promise<MediaRunResult> {
  return startMedia(options).done;
}

/** Starts a process and returns its handle; `done` settles only after the process has exited. */
export function startMedia(options: MediaRunOptions): MediaRunHandle {
  const tool = toolName(options.binary);
  const args = options.onProgress ? ['-progress', 'pipe:3', '-nostats', ...options.args] : options.args;
  const stdoutMode = options.stdout ?? 'collect';
  if (options.signal?.aborted) {
    const failed = Promise.reject(abortError(tool, options.signal));
    failed.catch(() => undefined);
    return { child: null as unknown as ChildProcess, done: failed, kill: () => undefined };
  }
  const child = spawn(options.binary, args, {
    cwd: options.cwd,
    stdio: [options.stdin ?? 'ignore', stdoutMode === 'ignore' ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  for (const listener of spawnListeners) {
    try {
      listener({ binary: options.binary, args, pid: child.pid });
    } catch {
      // An observer must not break the run.
    }
  }
  child.stdin?.on('error', () => undefined);

  let killedFor: 'timeout' | 'abort' | 'consumer' | 'caller' | null = null;
  let consumerError: unknown = null;
  const kill = (why: NonNullable<typeof killedFor>) => {
    if (killedFor || child.exitCode !== null || child.signalCode !== null) return;
    killedFor = why;
    child.kill('SIGKILL');
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timer = Number.isFinite(timeoutMs) ? setTimeout(() => kill('timeout'), timeoutMs) : null;
  timer?.unref?.();
  const onAbort = () => kill('abort');
  options.signal?.addEventListener('abort', onAbort, { once: true });

  let stderr = '';
  const tailChars = options.stderrTailChars ?? STDERR_TAIL_CHARS;
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > tailChars * 2) stderr = stderr.slice(-tailChars);
  });

  const stdoutChunks: Buffer[] = [];
  let stdoutDone: Promise<void> = Promise.resolve();
  if (child.stdout && stdoutMode === 'collect') {
    const limit = options.maxStdoutBytes ?? 16 * 1024 * 1024;
    let size = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        consumerError ??= new Error(`${tool} wrote more than ${limit} bytes of output`);
        kill('consumer');
      } else stdoutChunks.push(chunk);
    });
  } else if (child.stdout && typeof stdoutMode === 'function') {
    stdoutDone = stdoutMode(child.stdout).catch((error: unknown) => {
      consumerError ??= error;
      child.stdout?.resume();
      kill('consumer');
    });
  }

  let progress: MediaProgress | null = null;
  const progressStream = child.stdio[3] as Readable | null | undefined;
  if (progressStream && options.onProgress) {
    let pending = '';
    let block: Record<string, string> = {};
    progressStream.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const eq = line.indexOf('=');
        if (eq < 0) continue;
        const key = line.slice(0, eq).trim();
        block[key] = line.slice(eq + 1).trim();
        if (key !== 'progress') continue;
        progress = toProgress(block);
        block = {};
        try {
          options.onProgress?.(progress);
        } catch {
          // A failing progress listener must not break the run.
        }
      }
    });
  } else progressStream?.resume();

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>(
    (resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, spawnError: error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );

  const done = (async (): Promise<MediaRunResult> => {
    const exit = await exited;
    await stdoutDone;
    if (timer) clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    const tail = sanitizePaths(stderr.slice(-tailChars).trim());
    if (exit.spawnError) {
      const code = (exit.spawnError as NodeJS.ErrnoException).code ?? exit.spawnError.message;
      throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `Could not run ${tool} (${code})`, {
        cause: exit.spawnError,
        details: { tool },
      });
    }
    if (killedFor === 'abort') throw abortError(tool, options.signal);
    if (killedFor === 'timeout') {
      throw new ReplayBufferError(
        ReplayErrorCode.MEDIA_ERROR,
        `${tool} did not finish within ${timeoutMs} ms`,
        {
          details: { tool, timedOut: true, stderrTail: tail },
        },
      );
    }
    if (killedFor === 'consumer' || consumerError) {
      if (consumerError instanceof ReplayBufferError) throw consumerError;
      const text = consumerError instanceof Error ? consumerError.message : String(consumerError);
      throw outputError(tool, `${tool}'s output could not be handled: ${sanitizePaths(text)}`, consumerError);
    }
    if (killedFor === 'caller') {
      throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `${tool} was stopped`, { details: { tool } });
    }
    if (exit.code !== 0) throw failureError(tool, exit.code, exit.signal, tail);
    return { stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderrTail: tail, progress };
  })();
  done.catch(() => undefined);
  return {
    child,
    done,
    kill: () => kill('caller'),
  };
}

/** Exit code or signal → MEDIA_ERROR with ffmpeg's own words; a full disk → STORAGE_ERROR. */
export function failureError(
  tool: string,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: string,
): ReplayBufferError {
  const tail = sanitizePaths(stderrTail);
  const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
  const lines = tail
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const said = lines.slice(-3).join(' / ');
  const message = `${tool} ${how}${said ? `: ${said}` : ''}`;
  const details = { tool, exitCode: code, signal, stderrTail: tail };
  if (/No space left on device|Disk quota exceeded/i.test(tail)) {
    return new ReplayBufferError(
      ReplayErrorCode.STORAGE_ERROR,
      `Out of disk space while ${tool} was writing`,
      {
        details,
      },
    );
  }
  return new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, message, { details });
}

/** Replaces absolute paths in ffmpeg's text by their last component. */
export function sanitizePaths(text: string): string {
  return text.replace(/(^|[\s'"(=:|])(\/[^\s'"|,)]+)/g, (_m, lead: string, p: string) => {
    const base = p.split('/').filter(Boolean).at(-1) ?? '';
    return `${lead}${base}`;
  });
}

function outputError(tool: string, message: string, cause: unknown): ReplayBufferError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  const storage = code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EACCES';
  return new ReplayBufferError(
    storage ? ReplayErrorCode.STORAGE_ERROR : ReplayErrorCode.MEDIA_ERROR,
    message,
    {
      cause,
      details: { tool, ...(code ? { errno: code } : {}) },
    },
  );
}

function abortError(tool: string, signal: AbortSignal | undefined): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `${tool} was aborted; nothing was written`, {
    cause: signal?.reason,
    details: { tool, aborted: true },
  });
}

function toolName(binary: string): string {
  const base = binary.split(/[\\/]/).at(-1) ?? binary;
  return base.startsWith('ffprobe') ? 'ffprobe' : base.startsWith('ffmpeg') ? 'ffmpeg' : base;
}

function toProgress(block: Record<string, string>): MediaProgress {
  const num = (value: string | undefined) => {
    const n = value === undefined ? Number.NaN : Number(value);
    return Number.isFinite(n) ? n : null;
  };
  const outUs = num(block.out_time_us) ?? num(block.out_time_ms);
  return {
    frame: num(block.frame),
    outTimeSeconds: outUs === null ? null : outUs / 1e6,
    totalSizeBytes: num(block.total_size),
    end: block.progress === 'end',
  };
}

/** ffmpeg binary: explicit option, then FFMPEG_PATH, then `ffmpeg` on PATH. */
export function resolveFfmpegPath(explicit?: string): string {
  return explicit || process.env.FFMPEG_PATH || 'ffmpeg';
}

/** ffprobe binary: explicit option, then FFPROBE_PATH, then `ffprobe` on PATH. */
export function resolveFfprobePath(explicit?: string): string {
  return explicit || process.env.FFPROBE_PATH || 'ffprobe';
}

/**
 * Input options for a file from a segment directory (untrusted): the format is forced to
 * MPEG-TS (a `.ts` holding a playlist is not followed) and only the protocols we use are
 * allowed (`file`, plus `concat` for a `concat:` join).
 */
export function segmentInputArgs(url: string): string[] {
  const protocols = url.startsWith('concat:') ? 'concat,file' : 'file';
  return ['-f', 'mpegts', '-protocol_whitelist', protocols, '-i', url];
}
