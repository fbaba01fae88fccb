/**
 * Limits how often a key (a user) may do something expensive (a save). In-process by default;
 * the Redis adapter brings one shared by every instance.
 */
export interface RateLimiter {
  /** Records a hit for `key`, or throws RATE_LIMITED (with `details.retryAfterMs`) without recording it. */
  hit(key: string): Promise<void>;
}
