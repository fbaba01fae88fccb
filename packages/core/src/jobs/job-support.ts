import type { ManagerContext } from '../runtime/context.js';
import { reportError } from '../runtime/context.js';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Records a failure in a job's result and reports it through the `error` event. */
export function report(ctx: ManagerContext, errors: string[], what: string, error: unknown): void {
  errors.push(`${what}: ${messageOf(error)}`);
  reportError(ctx, error, { operation: what });
}

// Passes in progress, per manager: a tick that finds its job still running skips.
const running = new WeakMap<ManagerContext, Set<string>>();

/** Runs `run` unless a pass of `job` is already running for this manager (then null). */
export async function exclusive<T>(
  ctx: ManagerContext,
  job: string,
  run: () => Promise<T>,
): Promise<T | null> {
  let jobs = running.get(ctx);
  if (!jobs) {
    jobs = new Set();
    running.set(ctx, jobs);
  }
  if (jobs.has(job)) return null;
  jobs.add(job);
  try {
    return await run();
  } finally {
    jobs.delete(job);
  }
}
