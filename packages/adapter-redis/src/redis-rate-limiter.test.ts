// The save rate limit shared by every instance: windows, retry-after, and races across connections.
import { expectReplayError, uniqueId } from '@livekit-replay/testing/contracts';
import { describe, expect, it } from 'vitest';
import { createRedisAdapters } from './create-redis-adapters.js';
import { keyPart } from './keys.js';
import { RedisRateLimiter, type RedisRateLimitWindow } from './redis-rate-limiter.js';
import { REDIS_URL, useSharedRedis } from './test-support/redis-env.js';

const shared = useSharedRedis('ratelimit');
const { prefix } = shared;
const WINDOWS: RedisRateLimitWindow[] = [
  { limit: 3, windowMs: 60_000 },
  { limit: 5, windowMs: 3_600_000 },
];

function limiter(): RedisRateLimiter {
  const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
  shared.track(adapters);
  return new RedisRateLimiter(adapters.client, { keyPrefix: prefix, windows: WINDOWS });
}

describe('RedisRateLimiter', () => {
  it('allows 3 a minute and 5 an hour, says when to retry, and does not record refused hits', async () => {
    const limits = limiter();
    const user = uniqueId('user');
    const t0 = Date.UTC(2026, 10, 21, 12, 0, 0);
    for (const offset of [0, 10_000, 20_000]) await limits.hit(user, t0 + offset);
    const refused = await expectReplayError(() => limits.hit(user, t0 + 30_000), 'RATE_LIMITED');
    expect(refused.details).toEqual({ retryAfterMs: 30_000, limit: 3, windowMs: 60_000 });
    // Refused hits are not counted: one minute after the first, exactly one slot is free.
    await limits.hit(user, t0 + 60_001);
    await expectReplayError(() => limits.hit(user, t0 + 60_002), 'RATE_LIMITED');
    await limits.hit(user, t0 + 80_000);
    // Five in the hour now; the hourly window refuses although the minute window has room.
    const hourly = await expectReplayError(() => limits.hit(user, t0 + 200_000), 'RATE_LIMITED');
    expect(hourly.details).toMatchObject({ limit: 5, windowMs: 3_600_000, retryAfterMs: 3_400_000 });
    // Another user is independent.
    await limits.hit(uniqueId('user'), t0 + 200_000);
    const key = `${prefix}rate:capture:${keyPart(user)}`;
    expect(await shared.admin.zcard(key)).toBe(5);
    expect(await shared.admin.pttl(key)).toBeGreaterThan(3_500_000);
  });

  it('30 racing saves of one user over 3 instances, on Redis time: exactly 3 pass', async () => {
    const instances = [limiter(), limiter(), limiter()];
    const user = `auth0|${uniqueId('u')}`;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => instances[i % 3]!.hit(user)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'RATE_LIMITED' });
    }
  });

  it('refuses bad windows and keys', async () => {
    const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
    shared.track(adapters);
    expect(() => new RedisRateLimiter(adapters.client, { windows: [] })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => new RedisRateLimiter(adapters.client, { windows: [{ limit: 0, windowMs: 1 }] })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    await expectReplayError(() => limiter().hit(''), 'INVALID_INPUT');
  });
});
