import { randomUUID } from 'node:crypto';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { JobLease, JobLock } from '../ports/job-lock.js';
import { assertExternalId, type Clock, systemClock } from '../store-validation.js';

interface Holder {
  token: string;
  expiresAt: number;
}

export interface InProcessJobLockOptions {
  /** Time source for lease expiry; tests pass a fake clock. */
  now?: Clock;
}

function assertTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      'ttlMs must be a positive number of milliseconds',
      {
        details: { field: 'ttlMs' },
      },
    );
  }
  return ttlMs;
}

/**
 * JobLock for a single process. Each lease carries a unique token: only the holder whose token
 * is current can renew or release it, so a holder that overran its TTL cannot release the lease
 * a newer holder took. Expiry is checked lazily (no timers to keep the process alive).
 */
export class InProcessJobLock implements JobLock {
  private readonly holders = new Map<string, Holder>();
  private readonly now: Clock;

  constructor(options: InProcessJobLockOptions = {}) {
    this.now = options.now ?? systemClock;
  }

  async acquire(name: string, ttlMs: number): Promise<JobLease | null> {
    assertExternalId(name, 'lock name');
    assertTtl(ttlMs);
    const now = this.now().getTime();
    const current = this.holders.get(name);
    if (current && current.expiresAt > now) return null;
    const holder: Holder = { token: randomUUID(), expiresAt: now + ttlMs };
    this.holders.set(name, holder);
    return {
      renew: async (nextTtlMs: number) => {
        assertTtl(nextTtlMs);
        const at = this.now().getTime();
        const live = this.holders.get(name);
        // Like a key with a TTL: once expired the lease is lost, even if nobody took it yet.
        if (live?.token !== holder.token || live.expiresAt <= at) return false;
        live.expiresAt = at + nextTtlMs;
        return true;
      },
      release: async () => {
        if (this.holders.get(name)?.token === holder.token) this.holders.delete(name);
      },
    };
  }
}
