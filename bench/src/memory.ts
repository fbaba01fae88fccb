import { spawn } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { AlgorithmName, ClipJob, ClipOutcome } from './algorithms.js';
import { BENCH_DIR, FIXTURES_DIR } from './util.js';

let bundled: Promise<string> | undefined;

/**
 * The child is bundled to one plain JavaScript file first, so its memory is that of a Node
 * process running compiled code (as in production), not of one compiling TypeScript on the fly.
 */
export function childBundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(FIXTURES_DIR, 'child.mjs');
    await build({
      entryPoints: [join(BENCH_DIR, 'src', 'child.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['source'],
      outfile,
      logLevel: 'error',
      // CommonJS dependencies call require().
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    });
    return outfile;
  })();
  return bundled;
}

/** RSS of a Node process that has loaded nothing (the runtime's own floor), bytes. */
export async function bareNodeRssBytes(): Promise<number> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', 'process.stdout.write(String(process.memoryUsage().rss))'],
      (error, stdout) => (error ? reject(error) : resolve(Number(stdout))),
    );
  });
}

export interface ProcessPeak {
  pid: number;
  command: string;
  /** VmHWM: the process's own peak resident set, bytes. */
  peakRssBytes: number;
}

export interface MemoryMeasurement {
  algorithm: AlgorithmName;
  ms: number;
  outcome: ClipOutcome;
  /** Node process RSS right before the save started (runtime + loaded modules). */
  nodeBaselineRssBytes: number;
  /** Node process peak RSS (ru_maxrss, cross-checked with VmHWM). */
  nodePeakRssBytes: number;
  /** Largest peak of any helper process (ffmpeg, ffprobe, cat). */
  helperPeakRssBytes: number;
  /** Largest sum of the RSS of the Node process and its helpers seen at one sample (25 ms polls). */
  treePeakRssBytes: number;
  helpers: ProcessPeak[];
  /** CPU time of the save: the Node process and every helper it started and waited for. */
  cpuSeconds: number;
  /** Media processes started through core's runner during the save (binary names). */
  spawned: string[];
}

interface ProcInfo {
  ppid: number;
  comm: string;
}

async function readProc(pid: number): Promise<{ info: ProcInfo; rss: number; hwm: number } | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { info: { ppid, comm }, rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return null;
  }
}

/** Descendants of `root` (the root included), from one scan of /proc. */
async function processTree(root: number): Promise<Map<number, ProcInfo>> {
  const all = new Map<number, ProcInfo>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      all.set(pid, {
        comm: stat.slice(stat.indexOf('(') + 1, close),
        ppid: Number(stat.slice(close + 2).split(' ')[1]),
      });
    } catch {
      // gone
    }
  }
  const tree = new Map<number, ProcInfo>();
  const rootInfo = all.get(root);
  if (!rootInfo) return tree;
  tree.set(root, rootInfo);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, info] of all) {
      if (!tree.has(pid) && tree.has(info.ppid)) {
        tree.set(pid, info);
        grew = true;
      }
    }
  }
  return tree;
}

// Processes that belong to the TypeScript loader, not to the save.
const IGNORED = new Set(['esbuild']);

/**
 * Runs one algorithm in a fresh Node child (the bundled child.ts) and samples /proc every
 * 25 ms for the child and its descendants. Peaks per process come from VmHWM, read at each
 * sample, so a helper that lives less than one poll interval can be missed (none of the
 * media helpers here do: the shortest, ffprobe, runs for tens of ms).
 */
export async function measureInChild(
  algorithm: AlgorithmName,
  job: ClipJob,
  scratchDir: string,
): Promise<MemoryMeasurement> {
  const jobPath = join(scratchDir, `job-${algorithm}.json`);
  await writeFile(jobPath, JSON.stringify(job));
  const script = await childBundle();
  const child = spawn(process.execPath, [script, algorithm, jobPath], {
    cwd: BENCH_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const root = child.pid;
  if (root === undefined) throw new Error('could not start the measurement child');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => {
    done = true;
  });

  const peaks = new Map<number, ProcessPeak>();
  let treePeak = 0;
  let nodeHwm = 0;
  while (!done) {
    const tree = await processTree(root);
    let sum = 0;
    for (const [pid, info] of tree) {
      if (IGNORED.has(info.comm)) continue;
      const proc = await readProc(pid);
      if (!proc) continue;
      sum += proc.rss;
      if (pid === root) nodeHwm = Math.max(nodeHwm, proc.hwm);
      else {
        const known = peaks.get(pid);
        if (!known || proc.hwm > known.peakRssBytes)
          peaks.set(pid, { pid, command: info.comm, peakRssBytes: proc.hwm });
      }
    }
    treePeak = Math.max(treePeak, sum);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  const code = await exited;
  await rm(jobPath, { force: true });
  if (code !== 0) throw new Error(`measurement child for ${algorithm} exited with ${code}: ${stderr.trim()}`);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  const report = JSON.parse(line) as {
    ms: number;
    outcome: ClipOutcome;
    baselineRssBytes: number;
    maxRssBytes: number;
    cpuSeconds: number;
    spawned: string[];
  };
  const helpers = [...peaks.values()].sort((a, b) => b.peakRssBytes - a.peakRssBytes);
  return {
    algorithm,
    ms: report.ms,
    outcome: report.outcome,
    nodeBaselineRssBytes: report.baselineRssBytes,
    nodePeakRssBytes: Math.max(report.maxRssBytes, nodeHwm),
    helperPeakRssBytes: helpers[0]?.peakRssBytes ?? 0,
    treePeakRssBytes: Math.max(treePeak, report.maxRssBytes),
    helpers,
    cpuSeconds: report.cpuSeconds,
    spawned: report.spawned,
  };
}
