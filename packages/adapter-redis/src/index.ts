export type { CommandRunnerOptions, RedisClient } from './connection.js';
export { FAIL_FAST_OPTIONS } from './connection.js';
export {
  type CreateRedisAdaptersOptions,
  createRedisAdapters,
  type RedisAdapters,
} from './create-redis-adapters.js';
export { DEFAULT_KEY_PREFIX, RedisKeys } from './keys.js';
export { RedisJobLock, type RedisJobLockOptions } from './redis-job-lock.js';
export { RedisNotifier, type RedisNotifierOptions } from './redis-notifier.js';
export {
  DEFAULT_RATE_LIMIT_WINDOWS,
  RedisRateLimiter,
  type RedisRateLimiterOptions,
  type RedisRateLimitWindow,
} from './redis-rate-limiter.js';
export {
  DEFAULT_ENDED_SESSION_TTL_SECONDS,
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from './redis-session-store.js';
