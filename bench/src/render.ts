// Re-renders BENCHMARKS.md from the last run's results (bench/.fixtures/results-<profile>.json)
// after a change to the report's wording: `tsx --conditions=source bench/src/render.ts [dev]`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BenchResults, renderReport } from './report.js';
import { FIXTURES_DIR, REPO_ROOT } from './util.js';

const profile = process.argv[2] === 'dev' ? 'dev' : 'full';
const results = JSON.parse(
  await readFile(join(FIXTURES_DIR, `results-${profile}.json`), 'utf8'),
) as BenchResults;
const output = profile === 'dev' ? join(FIXTURES_DIR, 'BENCHMARKS.dev.md') : join(REPO_ROOT, 'BENCHMARKS.md');
await writeFile(output, renderReport(results));
process.stderr.write(`wrote ${output}\n`);
