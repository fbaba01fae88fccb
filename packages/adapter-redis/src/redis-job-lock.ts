import { randomUUID } from 'node:crypto';
import { type JobLock, ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { JobLease } from '@livekit-replay/core/adapter';
import { CommandRunner, type CommandRunnerOptions, type RedisClient } from './connection.js';
import { assertClusterPrefix, DEFAULT_KEY_PREFIX, RedisKeys } from './keys.js';
import { RELEASE_LOCK, RENEW_LOCK } from './scripts.js';

export interface RedisJobLockOptions extends CommandRunnerOptions {
  /** Prefix for every key. Default `lkr:`. */
  keyPrefix?: string;
}

interface LockCommands {
  lkrRenewLock(key: string, token: string, ttlMs: string): Promise<number>;
  lkrReleaseLock(key: string, token: string): Promise<number>;
}

function invalid(message: string, field: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message, { details: { field } });
}

function assertName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw invalid('lock name must be a non-empty string of at most 128 characters', 'lock name');
  }
  try {
    encodeURIComponent(name);
  } catch {
    throw invalid('lock name must be valid Unicode text', 'lock name');
  }
  return name;
}

/** Redis wants whole milliseconds; a fraction is rounded up so the lease is never shorter. */
function assertTtl(ttlMs: number): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw invalid('ttlMs must be a positive number of milliseconds', 'ttlMs');
  }
  return Math.ceil(ttlMs);
}

/**
 * JobLock on Redis: `SET key token NX PX ttl`. Only the holder's token can renew or release
 * (checked in Lua), and a lease whose holder died simply expires after its TTL. There is no
 * fencing token: pick a TTL longer than the job, or renew while it runs.
 */
export class RedisJobLock implements JobLock {
  private readonly keys: RedisKeys;
  private readonly runner: CommandRunner;

  constructor(client: RedisClient, options: RedisJobLockOptions = {}) {
    this.keys = new RedisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    assertClusterPrefix(client, this.keys.prefix);
    this.runner = new CommandRunner(client, options);
    const scripted = client as RedisClient & Partial<LockCommands>;
    if (typeof scripted.lkrRenewLock !== 'function') {
      client.defineCommand('lkrRenewLock', { numberOfKeys: 1, lua: RENEW_LOCK });
      client.defineCommand('lkrReleaseLock', { numberOfKeys: 1, lua: RELEASE_LOCK });
    }
  }

  async acquire(name: string, ttlMs: number): Promise<JobLease | null> {
    assertName(name);
    const ttl = assertTtl(ttlMs);
    const key = this.keys.lock(name);
    const token = randomUUID();
    const reply = await this.runner.run('acquire job lock', (redis) =>
      redis.set(key, token, 'PX', ttl, 'NX'),
    );
    if (reply !== 'OK') return null;
    return {
      renew: async (nextTtlMs: number) => {
        const next = assertTtl(nextTtlMs);
        const renewed = await this.runner.run('renew job lock', (redis) =>
          (redis as RedisClient & LockCommands).lkrRenewLock(key, token, String(next)),
        );
        return renewed === 1;
      },
      release: async () => {
        await this.runner.run('release job lock', (redis) =>
          (redis as RedisClient & LockCommands).lkrReleaseLock(key, token),
        );
      },
    };
  }
}
