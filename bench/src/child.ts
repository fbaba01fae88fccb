// Runs one save in its own process so its peak memory can be read in isolation:
// `child.ts <algorithm> <job.json>` prints one JSON line with the timing and this process's peaks.
import { readFile } from 'node:fs/promises';
import { type AlgorithmName, type ClipJob, runAlgorithm } from './algorithms.js';
import { nowMs } from './util.js';

const [name, jobPath] = process.argv.slice(2);
if (!name || !jobPath) throw new Error('usage: child.ts <algorithm> <job.json>');
const job = JSON.parse(await readFile(jobPath, 'utf8')) as ClipJob;
const baselineRssBytes = process.memoryUsage().rss;
const started = nowMs();
const outcome = await runAlgorithm(name as AlgorithmName, job);
const ms = nowMs() - started;
process.stdout.write(
  `${JSON.stringify({
    ms,
    outcome,
    baselineRssBytes,
    // ru_maxrss of this process alone (kilobytes on Linux), not of its ffmpeg children.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
