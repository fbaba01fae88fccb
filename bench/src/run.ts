// `pnpm bench` (from the repository root): measures everything side by side in one run and
// writes BENCHMARKS.md. `pnpm bench -- --profile=dev` runs a small 720p version for development
// (written to bench/.fixtures/BENCHMARKS.dev.md). See bench/README.md.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AlgorithmName } from './algorithms.js';
import { breakdown, remuxVariants } from './breakdown.js';
import { browserChecks } from './browser.js';
import { benchClips, benchMemory, lastMinutesJob, readFixtureIndex } from './clip-bench.js';
import { ensureFixture, type FixtureParams } from './fixtures.js';
import { ensureFragments } from './fmp4.js';
import { benchVerifyOnly, benchWebhooks } from './lifecycle.js';
import { currentLoad, describeMachine } from './machine.js';
import { benchSweep } from './maintenance.js';
import { bareNodeRssBytes } from './memory.js';
import { type BenchResults, renderReport } from './report.js';
import type { StoreKind } from './stores.js';
import { benchTrim } from './trim.js';
import { errorMessage, FIXTURES_DIR, log, median, nowMs, REPO_ROOT } from './util.js';

interface Profile {
  fixture: FixtureParams;
  minutes: number[];
  repeats: number;
  trimSeconds: number;
  trimRepeats: number;
  webhookSessions: number;
  webhookEvents: Record<StoreKind, number>;
  webhookConcurrency: number;
  sweepSessions: number;
  sweepSegments: number;
  output: string;
}

const PROFILES: Record<'full' | 'dev', Profile> = {
  full: {
    // 10 minutes plus a few seconds, so a 10-minute save starts inside a segment.
    fixture: { preset: '1080p30', seconds: 606, segmentSeconds: 2 },
    minutes: [1, 2, 5, 10],
    repeats: 3,
    trimSeconds: 30,
    trimRepeats: 3,
    webhookSessions: 500,
    webhookEvents: { memory: 30_000, postgresql: 6_000, redis: 15_000 },
    webhookConcurrency: 16,
    sweepSessions: 1000,
    sweepSegments: 300,
    output: join(REPO_ROOT, 'BENCHMARKS.md'),
  },
  dev: {
    fixture: { preset: '720p30', seconds: 70, segmentSeconds: 2 },
    minutes: [1],
    repeats: 2,
    trimSeconds: 20,
    trimRepeats: 1,
    webhookSessions: 100,
    webhookEvents: { memory: 3_000, postgresql: 1_000, redis: 2_000 },
    webhookConcurrency: 16,
    sweepSessions: 50,
    sweepSegments: 300,
    output: join(FIXTURES_DIR, 'BENCHMARKS.dev.md'),
  },
};

const SECTIONS = ['clips', 'memory', 'breakdown', 'browser', 'trim', 'webhooks', 'sweep'] as const;
type Section = (typeof SECTIONS)[number];

const ALGORITHMS: AlgorithmName[] = [
  'cat',
  'cat-fsync',
  'concat-hash',
  'seed',
  'ours-fast',
  'ours-accurate',
  'ours-fast-frag',
  'ours-accurate-frag',
  'capture',
  'fmp4-proto',
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    // `pnpm bench -- --profile=dev` may pass the `--` through.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      profile: { type: 'string', default: 'full' },
      only: { type: 'string' },
      out: { type: 'string' },
    },
    allowPositionals: true,
  });
  const profileName = values.profile === 'dev' ? 'dev' : 'full';
  const profile = PROFILES[profileName];
  const only = new Set<Section>(
    values.only
      ? (values.only.split(',').filter((s) => (SECTIONS as readonly string[]).includes(s)) as Section[])
      : SECTIONS,
  );
  const output = values.out ?? profile.output;
  const started = Date.now();
  const workRoot = join(FIXTURES_DIR, 'work');
  await rm(workRoot, { recursive: true, force: true });
  await mkdir(workRoot, { recursive: true });

  const machine = await describeMachine(FIXTURES_DIR);
  log(`profile ${profileName}; ${machine.cpuModel}, ${machine.cores} cores; load ${machine.loadAtStart}`);
  const fixture = await ensureFixture(profile.fixture);
  const snapshot = await readFixtureIndex(fixture);
  if (snapshot.segments.length === 0) throw new Error(`fixture ${fixture.key} has no segments`);

  // The prototype's per-segment remux happens when a segment lands; done once and cached.
  const fragmentsDir = join(fixture.dir, 'fmp4');
  log('fMP4 prototype: remuxing segments to fragments (cached after the first run)');
  await ensureFragments(snapshot.segments, fragmentsDir);
  // Ingest cost, measured afresh on a sample of segments every run.
  const sampleDir = join(workRoot, 'fmp4-sample');
  const ingestMs = await ensureFragments(snapshot.segments.slice(0, 20), sampleDir);
  await rm(sampleDir, { recursive: true, force: true });

  // The core's own fragment cache (FfmpegMediaPipeline fragmentCacheDir), warmed segment by
  // segment as a deployment with the cache on would do as segments land; timed per segment.
  const coreFragmentsDir = join(workRoot, 'core-fragments');
  const coreWarmMs: number[] = [];
  try {
    const { FragmentCache } = await import('@livekit-replay/core/adapter');
    const cache = new FragmentCache({ dir: coreFragmentsDir });
    log(`core fragment cache: warming ${snapshot.segments.length} segments`);
    for (const segment of snapshot.segments) {
      const t = nowMs();
      if (!(await cache.warm(segment))) throw new Error(`could not cache ${segment.name}`);
      coreWarmMs.push(nowMs() - t);
    }
  } catch (error) {
    log(`  core fragment cache unavailable: ${errorMessage(error)}`);
  }
  const capture = {
    dir: fixture.dir,
    filenamePrefix: fixture.filenamePrefix,
    playlistName: fixture.playlistName,
    livePlaylistName: fixture.livePlaylistName,
    segmentSeconds: fixture.params.segmentSeconds,
  };
  const results: BenchResults = {
    profile: profileName,
    machine,
    fixture,
    segmentDurations: snapshot.segments.map((s) => s.durationSeconds),
    fmp4IngestMs: ingestMs,
    coreWarmMs,
    bareNodeRssBytes: await bareNodeRssBytes(),
    clips: null,
    memory: null,
    breakdowns: [],
    remuxVariants: [],
    browser: null,
    trim: null,
    webhooks: [],
    verifyOnly: null,
    sweep: null,
    loadAtEnd: '',
    totalSeconds: 0,
    repeats: profile.repeats,
    trimRepeats: profile.trimRepeats,
  };

  if (only.has('clips')) {
    log(`time to clip: last ${profile.minutes.join('/')} min, ${profile.repeats} repeats each`);
    results.clips = await benchClips({
      snapshot,
      minutes: profile.minutes,
      algorithms: ALGORITHMS,
      repeats: profile.repeats,
      workRoot,
      fragmentsDir,
      fps: fixture.fps,
      capture,
      coreFragmentsDir,
    });
  }
  const longest = Math.max(...profile.minutes);
  if (only.has('memory')) {
    log(`peak memory: ${longest}-minute save, one child process per algorithm`);
    results.memory = await benchMemory({
      snapshot,
      minutes: longest,
      algorithms: ALGORITHMS.filter((a) => a !== 'cat-fsync'),
      workRoot,
      fragmentsDir,
      capture,
      coreFragmentsDir,
    });
  }
  if (only.has('breakdown')) {
    log(`breakdown of a ${longest}-minute save`);
    for (const algorithm of ['ours-fast', 'ours-accurate', 'ours-accurate-frag'] as const) {
      try {
        results.breakdowns.push(
          await breakdown(
            algorithm,
            {
              ...lastMinutesJob(snapshot, longest, join(workRoot, 'breakdown.mp4'), workRoot),
              coreFragmentsDir,
            },
            workRoot,
          ),
        );
      } catch (error) {
        log(`  breakdown ${algorithm} failed: ${errorMessage(error)}`);
      }
    }
    try {
      results.remuxVariants = await remuxVariants(
        lastMinutesJob(snapshot, longest, join(workRoot, 'remux.mp4'), workRoot),
        profile.repeats,
      );
      log(
        `  remux variants: ${results.remuxVariants.map((v) => `${(v.medianMs / 1000).toFixed(2)} s`).join(', ')}`,
      );
    } catch (error) {
      log(`  remux variants failed: ${errorMessage(error)}`);
    }
  }
  if (only.has('browser')) {
    log('browser check: saved clips in headless Chromium');
    const jobsFor = (minutes: number) =>
      (['ours-fast', 'ours-accurate', 'ours-accurate-frag', 'fmp4-proto'] as const).map((algorithm) => ({
        algorithm,
        minutes,
        job: {
          ...lastMinutesJob(snapshot, minutes, join(workRoot, 'unused.mp4'), workRoot),
          fragmentsDir,
          coreFragmentsDir,
        },
      }));
    const checkMinutes = [...new Set([Math.min(...profile.minutes), longest])];
    results.browser = await browserChecks(checkMinutes.flatMap(jobsFor), workRoot);
  }
  if (only.has('trim')) {
    log(`trim: ${profile.trimSeconds} s starting mid-GOP`);
    try {
      results.trim = await benchTrim({
        snapshot,
        seconds: profile.trimSeconds,
        repeats: profile.trimRepeats,
        workRoot,
        fps: fixture.fps,
      });
    } catch (error) {
      log(`  trim failed: ${errorMessage(error)}`);
    }
  }
  if (only.has('webhooks')) {
    log('webhook throughput');
    results.verifyOnly = await benchVerifyOnly(5000, profile.webhookConcurrency);
    for (const kind of ['memory', 'postgresql', 'redis'] as const) {
      results.webhooks.push(
        await benchWebhooks(kind, {
          sessions: profile.webhookSessions,
          events: profile.webhookEvents[kind],
          concurrency: profile.webhookConcurrency,
        }),
      );
    }
  }
  if (only.has('sweep')) {
    log(`maintenance sweep: ${profile.sweepSessions} sessions x ${profile.sweepSegments} segments`);
    try {
      results.sweep = await benchSweep({
        // The sweep is file-system work; the store's share is one listing, timed per store.
        kinds: ['memory'],
        listKinds: ['memory', 'postgresql', 'redis'],
        sessions: profile.sweepSessions,
        segments: profile.sweepSegments,
        workRoot,
      });
    } catch (error) {
      log(`  sweep failed: ${errorMessage(error)}`);
    }
  }

  results.loadAtEnd = currentLoad();
  results.totalSeconds = (Date.now() - started) / 1000;
  await writeFile(join(FIXTURES_DIR, `results-${profileName}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(output, renderReport(results));
  await rm(workRoot, { recursive: true, force: true });
  log(
    `wrote ${output} in ${results.totalSeconds.toFixed(0)} s (median fMP4 ingest ${median(ingestMs).toFixed(0)} ms/segment)`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
