import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { RateLimiter } from '../ports/rate-limiter.js';

export interface RateLimitWindow {
  limit: number;
  windowMs: number;
}

/**
 * Sliding-window limiter per key (in-process). Saves are expensive; production used
 * 3 a minute and 15 an hour per user.
 */
export class SlidingWindowRateLimiter implements RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly longestWindow: number;

  constructor(private readonly windows: RateLimitWindow[]) {
    this.longestWindow = Math.max(0, ...windows.map((w) => w.windowMs));
  }

  /** Records a hit for `key` or throws RATE_LIMITED with the wait in `details.retryAfterMs`. */
  async hit(key: string, now = Date.now()): Promise<void> {
    this.hitSync(key, now);
  }

  /** The same, synchronously (one process needs no I/O). */
  hitSync(key: string, now = Date.now()): void {
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.longestWindow);
    for (const window of this.windows) {
      const inWindow = recent.filter((t) => now - t < window.windowMs);
      if (inWindow.length >= window.limit) {
        const retryAfterMs = window.windowMs - (now - (inWindow[0] ?? now));
        this.hits.set(key, recent);
        throw new ReplayBufferError(
          ReplayErrorCode.RATE_LIMITED,
          `Too many saves: at most ${window.limit} per ${Math.round(window.windowMs / 1000)} s; try again in ${Math.ceil(retryAfterMs / 1000)} s`,
          { details: { retryAfterMs, limit: window.limit, windowMs: window.windowMs } },
        );
      }
    }
    recent.push(now);
    this.hits.set(key, recent);
  }
}
