/**
 * The scheduler: one tick runs once across instances (JobLock), a pass never overlaps the
 * previous one, long passes keep their lease, jobs run once at start-up, and stopping leaves
 * no timers behind.
 */
import path from 'node:path';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobScheduler, type JobTickOutcome } from '../../jobs/scheduler.js';
import { LiveKitEgressGateway } from '../../livekit/livekit-egress-gateway.js';
import { createMemoryStores, InProcessJobLock } from '../../memory/index.js';
import type { EgressGateway } from '../../ports/egress-gateway.js';
import {
  API_KEY,
  API_SECRET,
  eventually,
  recordingManager,
  seedSession,
  tempRoot,
} from './lifecycle-helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('JobScheduler', () => {
  it('runs each job once at start-up, and one tick runs once across instances sharing a lock', async () => {
    const lock = new InProcessJobLock();
    let runs = 0;
    const outcomes: JobTickOutcome[] = [];
    const make = () =>
      new JobScheduler({
        jobLock: lock,
        jobs: [
          {
            name: 'test.startup',
            intervalMs: 60_000,
            run: async () => {
              runs++;
              await sleep(50);
            },
          },
        ],
        onTick: (_job, outcome) => outcomes.push(outcome),
      });
    const a = make();
    const b = make();
    a.start();
    b.start();
    await eventually(() => outcomes.length === 2, 5000, 'both start-up ticks');
    expect(runs).toBe(1);
    expect(outcomes.sort()).toEqual(['locked', 'ran']);
    await Promise.all([a.stop(), b.stop()]);
  });

  it('never overlaps a pass, renews the lease of a long pass, and stops without leaving timers', async () => {
    const timersBefore = timerCount();
    const lock = new InProcessJobLock();
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    let finished = 0;
    const job = {
      name: 'test.long',
      intervalMs: 20,
      run: async () => {
        running++;
        passes++;
        maxRunning = Math.max(maxRunning, running);
        // Longer than the 1 s minimum lease: only renewal keeps other instances out.
        await sleep(passes === 1 ? 1600 : 30);
        running--;
        finished++;
      },
    };
    const scheduler = new JobScheduler({ jobLock: lock, jobs: [job] });
    const other = new JobScheduler({ jobLock: lock, jobs: [{ ...job, run: async () => {} }] });
    scheduler.start();
    await eventually(() => running === 1, 2000, 'the first pass');
    // While the first pass runs: the same instance is busy, another instance finds the lease held.
    expect(await scheduler.runNow('test.long')).toBe('busy');
    await sleep(1200);
    expect(running).toBe(1);
    expect(await other.runNow('test.long')).toBe('locked');
    await eventually(() => passes >= 4, 5000, 'more passes');
    expect(maxRunning).toBe(1);

    await scheduler.stop();
    const passesAtStop = passes;
    expect(finished).toBe(passes);
    await sleep(200);
    expect(passes).toBe(passesAtStop);
    expect(await scheduler.runNow('test.long')).toBe('stopped');
    // The lease was released: another instance may run right away.
    expect(await other.runNow('test.long')).toBe('ran');
    await other.stop();
    expect(timerCount()).toBeLessThanOrEqual(timersBefore);
  });

  it('a failing job is reported and runs again at the next tick', async () => {
    const errors: Error[] = [];
    let runs = 0;
    const scheduler = new JobScheduler({
      jobLock: new InProcessJobLock(),
      onError: (e) => errors.push(e),
      jobs: [
        {
          name: 'test.failing',
          intervalMs: 30,
          run: async () => {
            runs++;
            throw new Error(`boom ${runs}`);
          },
        },
      ],
    });
    scheduler.start();
    await eventually(() => runs >= 2, 3000, 'a second run');
    await scheduler.stop();
    expect(errors[0]?.message).toBe('boom 1');
  });

  it('refuses a non-positive interval', () => {
    expect(
      () =>
        new JobScheduler({
          jobLock: new InProcessJobLock(),
          jobs: [{ name: 'x', intervalMs: 0, run: async () => {} }],
        }),
    ).toThrow(/positive/);
  });
});

describe('manager scheduler', () => {
  let emulator: EgressEmulator;
  let root: { root: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    root = await tempRoot('lkr-scheduler-');
    emulator = await startEgressEmulator({
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      segmentsRoot: path.join(root.root, 'segments'),
    });
  });
  afterAll(async () => {
    await emulator?.close();
    await root?.cleanup();
  });

  /** The real gateway, counting ListEgress calls and optionally holding them. */
  function countingGateway(hold?: Promise<void>) {
    const inner = new LiveKitEgressGateway({ url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET });
    const counts = { list: 0 };
    const gateway: EgressGateway = {
      startSegmentedEgress: (r) => inner.startSegmentedEgress(r),
      stopEgress: (id) => inner.stopEgress(id),
      getEgress: (id) => inner.getEgress(id),
      listActiveEgress: async (room) => {
        counts.list++;
        if (hold) await hold;
        return inner.listActiveEgress(room);
      },
    };
    return { gateway, counts };
  }

  it('two instances sharing a job lock reconcile once at start-up; stopping leaves no timers', async () => {
    const timersBefore = timerCount();
    const lock = new InProcessJobLock();
    const stores = createMemoryStores();
    const { gateway, counts } = countingGateway();
    const config = {
      livekit: { url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir: path.join(root.root, 'segments'),
      clipsDir: path.join(root.root, 'clips'),
    };
    const ticks: string[] = [];
    const managers = await Promise.all(
      [0, 1].map(() =>
        recordingManager({
          config,
          stores,
          egress: gateway,
          coordination: { jobLock: lock, rateLimiter: false },
        }),
      ),
    );
    // A session whose egress LiveKit does not list: the start-up pass gives it a strike.
    await seedSession(stores.sessions, {
      id: 'rs_startup',
      userId: 'u-startup',
      egressId: 'EG_unlisted',
      active: true,
    });
    await Promise.all(
      managers.map(({ manager }) =>
        manager.startScheduler({
          watchSegments: false,
          onTick: (job, outcome) => ticks.push(`${job}:${outcome}`),
        }),
      ),
    );
    await eventually(
      () => ticks.filter((t) => t.startsWith('reconcile')).length === 2,
      5000,
      'start-up reconcile ticks',
    );
    expect(counts.list).toBe(1);
    expect(ticks.filter((t) => t.startsWith('reconcile')).sort()).toEqual([
      'reconcile:locked',
      'reconcile:ran',
    ]);
    expect((await stores.sessions.get('rs_startup'))?.missedSightings).toBe(1);
    await Promise.all(managers.map(({ manager }) => manager.stopScheduler()));
    expect(timerCount()).toBeLessThanOrEqual(timersBefore);
  });

  it('a reconciliation pass in progress makes the next one skip', async () => {
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { gateway, counts } = countingGateway(hold);
    const { manager } = await recordingManager({
      config: {
        livekit: { url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET },
        segmentsDir: path.join(root.root, 'segments'),
        clipsDir: path.join(root.root, 'clips'),
      },
      egress: gateway,
      coordination: { rateLimiter: false },
    });
    const first = manager.reconcileEgressStatus();
    await eventually(() => counts.list === 1, 2000, 'the first pass to call ListEgress');
    const second = await manager.reconcileEgressStatus();
    expect(second.skipped).toBe(true);
    release();
    expect((await first).skipped).toBe(false);
    expect(counts.list).toBe(1);
    // Once it finished, the next pass runs.
    expect((await manager.reconcileEgressStatus()).skipped).toBe(false);
  });
});
