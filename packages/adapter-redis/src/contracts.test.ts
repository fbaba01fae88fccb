// The shared contract suites, run against the real Redis. The raw reader goes around the adapter
// (plain HGETALL) so the suites check what actually reached Redis.
import {
  runJobLockContract,
  runNotifierContract,
  runSessionStoreContract,
} from '@livekit-replay/testing/contracts';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { rawSessionReader } from './test-support/raw-session.js';
import { REDIS_URL, useSharedRedis } from './test-support/redis-env.js';

const shared = useSharedRedis('contracts');
const { prefix } = shared;

/** A separate set of adapters (its own connection), as another app instance would have. */
function instance(): RedisAdapters {
  const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
  shared.track(adapters);
  return adapters;
}

runSessionStoreContract({
  name: 'redis',
  create: () => instance().sessions,
  raw: () => rawSessionReader(shared.admin, prefix),
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
