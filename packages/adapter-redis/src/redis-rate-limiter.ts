import { randomUUID } from 'node:crypto';
import { type RateLimiter, ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { CommandRunner, type CommandRunnerOptions, type RedisClient } from './connection.js';
import { DEFAULT_KEY_PREFIX, keyPart, RedisKeys } from './keys.js';
import { RATE_LIMIT_HIT } from './scripts.js';

/** At most `limit` hits per `windowMs` (same shape as core's RateLimitWindow). */
export interface RedisRateLimitWindow {
  limit: number;
  windowMs: number;
}

/** What a production deployment used for saves: 3 a minute, 15 an hour (core's defaults). */
export const DEFAULT_RATE_LIMIT_WINDOWS: readonly RedisRateLimitWindow[] = [
  { limit: 3, windowMs: 60_000 },
  { limit: 15, windowMs: 3_600_000 },
];

export interface RedisRateLimiterOptions extends CommandRunnerOptions {
  /** Prefix for every key. Default `lkr:`; the limiter's keys are `<prefix>rate:<name>:<key>`. */
  keyPrefix?: string;
  /** Separates several limiters on one Redis (e.g. `capture`). Default `capture`. */
  name?: string;
  /** The windows, all checked on every hit. Default: 3 a minute and 15 an hour. */
  windows?: RedisRateLimitWindow[];
}

interface RateLimitCommands {
  lkrRateLimitHit(key: string, ...args: string[]): Promise<[number, number?, number?, number?]>;
}

/**
 * Sliding-window limiter shared by every instance (core's SlidingWindowRateLimiter counts per
 * process, so three instances behind a load balancer would allow three times the rate). A hit
 * is checked and recorded in one Lua script, on Redis' clock, so instances with skewed clocks
 * agree. A refused hit is not recorded.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly keys: RedisKeys;
  private readonly runner: CommandRunner;
  private readonly name: string;
  private readonly windows: RedisRateLimitWindow[];
  private readonly longestWindowMs: number;

  constructor(client: RedisClient, options: RedisRateLimiterOptions = {}) {
    this.keys = new RedisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.runner = new CommandRunner(client, options);
    this.name = options.name ?? 'capture';
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(this.name)) {
      throw new ReplayBufferError(
        ReplayErrorCode.CONFIG_INVALID,
        'rate limiter name must be 1-64 of [A-Za-z0-9_-]',
      );
    }
    const windows = options.windows ?? DEFAULT_RATE_LIMIT_WINDOWS;
    const valid = (n: number) => Number.isSafeInteger(n) && n > 0;
    if (
      !Array.isArray(windows) ||
      windows.length === 0 ||
      !windows.every((w) => valid(w.limit) && valid(w.windowMs))
    ) {
      throw new ReplayBufferError(
        ReplayErrorCode.CONFIG_INVALID,
        'rate limit windows must be a non-empty list of { limit, windowMs } with positive whole numbers',
      );
    }
    this.windows = windows.map((w) => ({ limit: w.limit, windowMs: w.windowMs }));
    this.longestWindowMs = Math.max(...this.windows.map((w) => w.windowMs));
    if (typeof (client as RedisClient & Partial<RateLimitCommands>).lkrRateLimitHit !== 'function') {
      client.defineCommand('lkrRateLimitHit', { numberOfKeys: 1, lua: RATE_LIMIT_HIT });
    }
  }

  /**
   * Records a hit for `key` (a user id), or throws RATE_LIMITED with `details.retryAfterMs`.
   * `now` (epoch ms) replaces Redis' clock, for tests.
   */
  async hit(key: string, now?: number): Promise<void> {
    if (typeof key !== 'string' || key.length === 0 || key.length > 256) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'rate limit key must be 1-256 characters');
    }
    let encoded: string;
    try {
      encoded = keyPart(key);
    } catch {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'rate limit key must be valid Unicode text');
    }
    if (now !== undefined && !Number.isSafeInteger(now)) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'now must be whole epoch milliseconds');
    }
    const redisKey = `${this.keys.prefix}rate:${this.name}:${encoded}`;
    const reply = await this.runner.run('rate limit', (redis) =>
      (redis as RedisClient & RateLimitCommands).lkrRateLimitHit(
        redisKey,
        now === undefined ? '' : String(now),
        randomUUID(),
        String(this.longestWindowMs),
        ...this.windows.flatMap((w) => [String(w.limit), String(w.windowMs)]),
      ),
    );
    if (reply[0] === 1) return;
    const [, limit = 0, windowMs = 0, retryAfterMs = 0] = reply;
    throw new ReplayBufferError(
      ReplayErrorCode.RATE_LIMITED,
      `Too many saves: at most ${limit} per ${Math.round(windowMs / 1000)} s; try again in ${Math.ceil(retryAfterMs / 1000)} s`,
      { details: { retryAfterMs, limit, windowMs } },
    );
  }
}
