// The shared contract suites, run against the real Redis. The raw reader goes around the adapter
// (plain HGETALL) so the suites check what actually reached Redis.
import {
  type RawSessionRow,
  runJobLockContract,
  runNotifierContract,
  runSessionStoreContract,
} from '@livekit-replay/testing/contracts';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { REDIS_URL, useSharedRedis } from './test-support/redis-env.js';

const shared = useSharedRedis('contracts');
const { prefix } = shared;

/** A separate set of adapters (its own connection), as another app instance would have. */
function instance(): RedisAdapters {
  const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
  shared.track(adapters);
  return adapters;
}

async function rawSession(id: string): Promise<RawSessionRow | null> {
  const hash = await shared.admin.hgetall(`${prefix}session:${id}`);
  if (Object.keys(hash).length === 0) return null;
  const date = (value: string | undefined) => (value === undefined ? null : new Date(Number(value)));
  return {
    id: hash.id!,
    userId: hash.userId!,
    status: hash.status!,
    egressId: hash.egressId ?? null,
    communityId: hash.communityId ?? null,
    startedAt: date(hash.startedAt),
    endedAt: date(hash.endedAt),
    endReason: hash.endReason ?? null,
    error: hash.error ?? null,
    missedSightings: Number(hash.missedSightings),
  };
}

runSessionStoreContract({
  name: 'redis',
  create: () => instance().sessions,
  raw: { getSession: rawSession },
});

runJobLockContract({
  name: 'redis',
  create: () => instance().jobLock,
  crossInstance: true,
});

runNotifierContract({
  name: 'redis',
  create: () => instance().notifier,
  crossInstance: true,
});
