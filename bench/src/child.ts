// Runs one save in its own process so its memory, CPU and processes can be read in isolation
// (after one warm-up save in the same process):
// `child.mjs <algorithm> <job.json>` prints one JSON line with the timing, this process's peak,
// the CPU time of this process and all its (waited-for) children, and the processes started.
import { readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { observeMediaSpawns } from '@livekit-replay/core/adapter';
import { type AlgorithmName, type ClipJob, runAlgorithm } from './algorithms.js';
import { nowMs } from './util.js';

/** utime + stime + cutime + cstime of this process, seconds (children once waited for). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // After the command name: state is field 3, so utime (14) … cstime (17) sit at 11 … 14.
  return (fields[11]! + fields[12]! + fields[13]! + fields[14]!) / 100;
}

const [name, jobPath] = process.argv.slice(2);
if (!name || !jobPath) throw new Error('usage: child.ts <algorithm> <job.json>');
const job = JSON.parse(await readFile(jobPath, 'utf8')) as ClipJob;
// One untimed save first, as on a server that has saved before (code compiled, caches set up);
// the measured save is the second. Its output goes elsewhere and is removed.
const warmOutput = `${job.outputPath}.warm`;
await runAlgorithm(name as AlgorithmName, { ...job, outputPath: warmOutput });
await rm(warmOutput, { force: true });
const baselineRssBytes = process.memoryUsage().rss;
const spawned: string[] = [];
observeMediaSpawns((s) => spawned.push(s.binary.split('/').at(-1) ?? s.binary));
const cpuBefore = cpuSeconds();
const started = nowMs();
const outcome = await runAlgorithm(name as AlgorithmName, job);
const ms = nowMs() - started;
const cpu = cpuSeconds() - cpuBefore;
process.stdout.write(
  `${JSON.stringify({
    ms,
    outcome,
    baselineRssBytes,
    // ru_maxrss of this process alone (kilobytes on Linux), not of its ffmpeg children.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: cpu,
    spawned,
  })}\n`,
);
