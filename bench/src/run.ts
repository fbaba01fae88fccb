// `pnpm bench` (from the repository root): measures everything side by side in one run and
// writes BENCHMARKS.md. `pnpm bench -- --profile=dev` runs a small 720p version for development
// (written to bench/.fixtures/BENCHMARKS.dev.md). See bench/README.md.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AlgorithmName } from './algorithms.js';
import { browserChecks } from './browser.js';
import type { CaptureTarget } from './capture.js';
import { ensureFixture, type FixtureParams } from './fixtures.js';
import { benchVerifyOnly, benchWebhooks } from './lifecycle.js';
import { currentLoad, describeMachine } from './machine.js';
import { benchSweep } from './maintenance.js';
import { type BenchResults, renderReport } from './report.js';
import { benchS3Saves } from './s3-save-bench.js';
import { benchIdleCost, benchSaves, liveSaveJob, readFixtureIndex, SAVE_ALGORITHMS } from './save-bench.js';
import type { StoreKind } from './stores.js';
import { errorMessage, FIXTURES_DIR, log, REPO_ROOT } from './util.js';

interface Profile {
  fixture: FixtureParams;
  minutes: number[];
  repeats: number;
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
    webhookSessions: 500,
    webhookEvents: { memory: 30_000, postgresql: 6_000, redis: 15_000 },
    webhookConcurrency: 16,
    sweepSessions: 1000,
    sweepSegments: 300,
    output: join(REPO_ROOT, 'BENCHMARKS.md'),
  },
  dev: {
    fixture: { preset: '720p30', seconds: 70, segmentSeconds: 2 },
    minutes: [0.5, 1],
    repeats: 2,
    webhookSessions: 100,
    webhookEvents: { memory: 3_000, postgresql: 1_000, redis: 2_000 },
    webhookConcurrency: 16,
    sweepSessions: 50,
    sweepSegments: 300,
    output: join(FIXTURES_DIR, 'BENCHMARKS.dev.md'),
  },
};

const SECTIONS = ['saves', 's3', 'capture', 'idle', 'browser', 'webhooks', 'sweep'] as const;
type Section = (typeof SECTIONS)[number];

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
  const capture: CaptureTarget = {
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
    saves: [],
    s3Saves: null,
    capture: null,
    idle: null,
    browser: null,
    webhooks: [],
    verifyOnly: null,
    sweep: null,
    loadAtEnd: '',
    totalSeconds: 0,
    repeats: profile.repeats,
  };

  if (only.has('saves')) {
    log(`saves: last ${profile.minutes.join('/')} min, ${profile.repeats} repeats each`);
    results.saves = await benchSaves({
      jobs: profile.minutes.map((minutes) => ({
        label: `${minutes} min`,
        seconds: minutes * 60,
        job: liveSaveJob(snapshot, minutes * 60, workRoot),
        algorithms: SAVE_ALGORITHMS,
      })),
      repeats: profile.repeats,
      workRoot,
    });
  }
  if (only.has('s3')) {
    log(`saves from S3: last ${profile.minutes.join('/')} min, local vs s3rver on loopback`);
    results.s3Saves = await benchS3Saves({
      fixture,
      snapshot,
      minutes: profile.minutes,
      repeats: profile.repeats,
      workRoot,
    });
  }
  if (only.has('capture')) {
    log('captureReplay: a 10-second save through the manager beside the seed');
    // The manager saves the last 10 s of the (stopped) buffer: whole-second request at its end.
    const job = { ...liveSaveJob(snapshot, 10, workRoot), capture };
    const end = snapshot.endMs!;
    const selected = { ...job, startMs: end - 10_000, endMs: end };
    const algorithms: AlgorithmName[] = ['seed-capture', 'capture'];
    const [row] = await benchSaves({
      jobs: [{ label: '10 s capture', seconds: 10, job: selected, algorithms }],
      repeats: profile.repeats,
      workRoot,
    });
    results.capture = row ?? null;
  }
  if (only.has('idle')) {
    log('idle buffers: per-segment costs');
    results.idle = await benchIdleCost(snapshot.segments, workRoot, fixture.params.segmentSeconds);
  }
  if (only.has('browser')) {
    log('browser check: saved clips in headless Chromium');
    const seconds = [...new Set([Math.min(...profile.minutes), Math.max(...profile.minutes)])].map(
      (m) => m * 60,
    );
    results.browser = await browserChecks(
      seconds.flatMap((s) =>
        (['ours-fast', 'ours-accurate'] as const).map((algorithm) => ({
          algorithm,
          minutes: s / 60,
          job: liveSaveJob(snapshot, s, workRoot),
        })),
      ),
      workRoot,
    );
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
  log(`wrote ${output} in ${results.totalSeconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
