// The reference app as a child process, started the way scripts/start.sh starts it (node with
// tsx as a loader, the "source" condition), on a free port with its own data directory.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppServer {
  url: string;
  pid: number;
  dataDir: string;
  /** Everything the process printed so far (for failure messages). */
  output(): string;
  /** Sends SIGINT (Ctrl-C) to the app alone and resolves with its exit code. */
  interrupt(timeoutMs?: number): Promise<number | null>;
  /** Kills the app and everything it started (its process group), removes the data directory. */
  dispose(): Promise<void>;
}

/** Builds the frontend unless a build exists (scripts/test.sh builds it before vitest). */
export function ensureFrontendBuilt(): void {
  if (existsSync(path.join(appRoot, 'web/dist/index.html'))) return;
  const vite = path.join(appRoot, 'node_modules/vite/bin/vite.js');
  execFileSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
    cwd: appRoot,
    stdio: 'inherit',
  });
}

export async function startAppServer(
  env: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<AppServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lkr-refapp-'));
  const tsx = path.join(appRoot, 'node_modules/tsx/dist/cli.mjs');
  // Its own process group: dispose() can kill the app with every ffmpeg it started.
  const child = spawn(
    process.execPath,
    [tsx, '--tsconfig', 'tsconfig.json', '--conditions=source', 'server/main.ts'],
    {
      cwd: appRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        REPLAY_APP_DATA_DIR: dataDir,
        LIVEKIT_URL: '',
        ...env,
      },
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid as number;

  const dispose = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(pid, 'SIGKILL');
      await exited;
    }
    killGroup(pid, 'SIGKILL'); // whatever the group still holds
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const url = await waitForUrl(() => output, child, options.timeoutMs ?? 120_000);
    return {
      url,
      pid,
      dataDir,
      output: () => output,
      interrupt: async (timeoutMs = 60_000) => {
        child.kill('SIGINT');
        return withTimeout(exited, timeoutMs, `the app did not exit within ${timeoutMs} ms of SIGINT`);
      },
      dispose,
    };
  } catch (error) {
    await dispose();
    throw new Error(`${(error as Error).message}\n--- app output ---\n${output}`);
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

async function waitForUrl(read: () => string, child: ChildProcess, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /reference app: (http:\/\/\S+)/.exec(read());
    if (match?.[1]) return match[1];
    if (child.exitCode !== null) throw new Error(`the app exited with ${child.exitCode} before serving`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the app did not print its URL within ${timeoutMs} ms`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Every live descendant of `pid` whose command is ffmpeg (Linux /proc). */
export function ffmpegDescendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  const names = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": comm may hold spaces, so split after the last ')'.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      names.set(Number(entry), comm);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      if (names.get(child) === 'ffmpeg') found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

/** Whether an ffmpeg still runs under this pid (a zombie, or a reused pid, counts as gone). */
export function isFfmpegRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    return comm === 'ffmpeg' && stat.slice(close + 2, close + 3) !== 'Z';
  } catch {
    return false;
  }
}
