import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { JobLease, JobLock } from '../ports/job-lock.js';
import type { ManagerContext } from '../runtime/context.js';
import { reportError } from '../runtime/context.js';
import { cleanupOrphanedSessions } from './orphan-cleanup.js';
import { reconcileEgressStatus } from './reconcile.js';
import { cleanupOldSegments } from './segment-cleanup.js';
import { SegmentWatcher, type SegmentWatcherOptions } from './segment-watcher.js';

/** One periodic maintenance job. */
export interface ScheduledJob {
  /** Lock name (shared by every instance running this job). */
  name: string;
  intervalMs: number;
  run: () => Promise<unknown>;
}

export type JobTickOutcome =
  /** This instance held the lease and ran the job. */
  | 'ran'
  /** Another instance holds the lease for this tick. */
  | 'locked'
  /** The previous pass of this job on this instance is still running. */
  | 'busy'
  /** The job threw (reported through `onError`). */
  | 'failed'
  /** The scheduler is stopped. */
  | 'stopped';

export interface JobSchedulerOptions {
  jobLock: JobLock;
  jobs: ScheduledJob[];
  /** Run every job once right away (default true). */
  runOnStart?: boolean;
  onError?: (error: Error) => void;
  /** Observes every tick (logging, metrics, tests). */
  onTick?: (job: string, outcome: JobTickOutcome) => void;
}

const MIN_LEASE_MS = 1000;
const MAX_LEASE_MS = 5 * 60_000;

/**
 * Runs jobs at their intervals. Each tick takes the job's lease from the JobLock, so with many
 * instances one tick runs once; the lease is renewed while a long job runs and kept until just
 * before this instance's next tick (so another instance's tick in between does not repeat the
 * work). Ticks are chained with setTimeout: a pass never overlaps the previous one. `stop()`
 * waits for running passes and leaves no timers behind.
 */
export class JobScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Map<string, Promise<JobTickOutcome>>();
  /** Leases kept after a pass until shortly before this instance's next tick. */
  private readonly holding = new Map<string, JobLease>();
  private started = false;
  private stopped = false;

  constructor(private readonly options: JobSchedulerOptions) {
    for (const job of options.jobs) {
      if (!(job.intervalMs > 0) || !Number.isFinite(job.intervalMs)) {
        throw new ReplayBufferError(
          ReplayErrorCode.CONFIG_INVALID,
          `The interval of job "${job.name}" must be a positive number of milliseconds`,
          { details: { job: job.name } },
        );
      }
    }
  }

  get running(): boolean {
    return this.started && !this.stopped;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    const runOnStart = this.options.runOnStart ?? true;
    for (const job of this.options.jobs) {
      if (runOnStart) this.schedule(job, 0);
      else this.schedule(job, job.intervalMs);
    }
  }

  /** Runs one tick of `name` now (through the lock); for operators and tests. */
  async runNow(name: string): Promise<JobTickOutcome> {
    const job = this.options.jobs.find((j) => j.name === name);
    if (!job) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `No scheduled job named "${name}"`);
    }
    return this.tick(job);
  }

  /** Stops every timer and waits for passes in progress; their leases are released. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight.values()]);
    // Let another instance take over right away.
    const held = [...this.holding.values()];
    this.holding.clear();
    await Promise.allSettled(held.map((lease) => lease.release()));
  }

  private schedule(job: ScheduledJob, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(job.name);
      void this.tick(job).finally(() => this.schedule(job, job.intervalMs));
    }, delayMs);
    timer.unref?.();
    this.timers.set(job.name, timer);
  }

  private tick(job: ScheduledJob): Promise<JobTickOutcome> {
    if (this.stopped) return Promise.resolve('stopped');
    if (this.inFlight.has(job.name)) {
      this.options.onTick?.(job.name, 'busy');
      return Promise.resolve('busy');
    }
    const pass = this.runLeased(job).then((outcome) => {
      this.options.onTick?.(job.name, outcome);
      return outcome;
    });
    this.inFlight.set(job.name, pass);
    void pass.finally(() => this.inFlight.delete(job.name));
    return pass;
  }

  private async runLeased(job: ScheduledJob): Promise<JobTickOutcome> {
    const leaseMs = Math.min(MAX_LEASE_MS, Math.max(MIN_LEASE_MS, job.intervalMs));
    const startedAt = Date.now();
    let lease: JobLease | null;
    try {
      lease = await this.options.jobLock.acquire(job.name, leaseMs);
    } catch (error) {
      this.report(error);
      return 'failed';
    }
    if (!lease) return 'locked';
    const held = lease;
    this.holding.delete(job.name);
    // Long passes keep their lease.
    const renewer = setInterval(
      () => {
        held.renew(leaseMs).catch((error: unknown) => this.report(error));
      },
      Math.max(250, Math.floor(leaseMs / 3)),
    );
    renewer.unref?.();
    let outcome: JobTickOutcome = 'ran';
    try {
      await job.run();
    } catch (error) {
      this.report(error);
      outcome = 'failed';
    } finally {
      clearInterval(renewer);
      try {
        const holdMs = startedAt + Math.floor(job.intervalMs * 0.8) - Date.now();
        if (!this.stopped && holdMs >= 1 && (await held.renew(holdMs))) this.holding.set(job.name, held);
        else await held.release();
      } catch (error) {
        this.report(error);
      }
    }
    return outcome;
  }

  private report(error: unknown): void {
    this.options.onError?.(error instanceof Error ? error : new Error(String(error)));
  }
}

// ── The manager's maintenance jobs ──────────────────────────────────────────────────────

export const LIFECYCLE_JOB_NAMES = {
  reconcile: 'livekit-replay.reconcile',
  orphans: 'livekit-replay.orphans',
  segments: 'livekit-replay.segments',
} as const;

export type LifecycleJob = keyof typeof LIFECYCLE_JOB_NAMES;

export interface LifecycleSchedulerOptions {
  /** Defaults: the config's `reconcileIntervalSeconds`, `orphanCleanupIntervalSeconds`, `segmentSweepIntervalSeconds`. */
  reconcileIntervalMs?: number;
  orphanIntervalMs?: number;
  segmentSweepIntervalMs?: number;
  /** Run every job once at start-up (default true). */
  runOnStart?: boolean;
  /** Trim live sessions as segments land (chokidar); default true. */
  watchSegments?: boolean | SegmentWatcherOptions;
  onTick?: (job: LifecycleJob, outcome: JobTickOutcome) => void;
}

/** The running background work of one manager. */
export interface LifecycleRunner {
  scheduler: JobScheduler;
  watcher: SegmentWatcher | null;
  runNow(job: LifecycleJob): Promise<JobTickOutcome>;
  stop(): Promise<void>;
}

/** Starts reconciliation, orphan cleanup and the segment sweep (+ the segment watcher). */
export async function startLifecycle(
  ctx: ManagerContext,
  options: LifecycleSchedulerOptions = {},
): Promise<LifecycleRunner> {
  const { config } = ctx;
  const byName = new Map<string, LifecycleJob>(
    Object.entries(LIFECYCLE_JOB_NAMES).map(([job, name]) => [name, job as LifecycleJob]),
  );
  const scheduler = new JobScheduler({
    jobLock: ctx.jobLock,
    runOnStart: options.runOnStart ?? true,
    onError: (error) => reportError(ctx, error, { operation: 'running a scheduled job' }),
    ...(options.onTick
      ? { onTick: (name: string, outcome: JobTickOutcome) => options.onTick?.(byName.get(name)!, outcome) }
      : {}),
    jobs: [
      {
        name: LIFECYCLE_JOB_NAMES.reconcile,
        intervalMs: options.reconcileIntervalMs ?? config.reconcileIntervalSeconds * 1000,
        run: () => reconcileEgressStatus(ctx),
      },
      {
        name: LIFECYCLE_JOB_NAMES.orphans,
        intervalMs: options.orphanIntervalMs ?? config.orphanCleanupIntervalSeconds * 1000,
        run: () => cleanupOrphanedSessions(ctx),
      },
      {
        name: LIFECYCLE_JOB_NAMES.segments,
        intervalMs: options.segmentSweepIntervalMs ?? config.segmentSweepIntervalSeconds * 1000,
        run: () => cleanupOldSegments(ctx),
      },
    ],
  });
  const watch = options.watchSegments ?? true;
  const watcher = watch ? new SegmentWatcher(ctx, watch === true ? {} : watch) : null;
  if (watcher) await watcher.start();
  scheduler.start();
  return {
    scheduler,
    watcher,
    runNow: (job) => scheduler.runNow(LIFECYCLE_JOB_NAMES[job]),
    stop: async () => {
      await scheduler.stop();
      await watcher?.close();
    },
  };
}
