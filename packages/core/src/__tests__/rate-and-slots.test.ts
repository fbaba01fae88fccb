import { describe, expect, it } from 'vitest';
import { SlidingWindowRateLimiter } from '../memory/sliding-window-rate-limiter.js';
import { CaptureSlots } from '../runtime/capture-slots.js';

describe('SlidingWindowRateLimiter', () => {
  it('allows 3 a minute and 15 an hour, then says when to retry', () => {
    const limiter = new SlidingWindowRateLimiter([
      { limit: 3, windowMs: 60_000 },
      { limit: 15, windowMs: 3_600_000 },
    ]);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) limiter.hitSync('u1', t0 + i);
    expect(() => limiter.hitSync('u1', t0 + 10)).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    limiter.hitSync('u2', t0 + 10); // other users are independent
    // A minute later the per-minute window has room again.
    for (let minute = 1; minute < 5; minute++) {
      for (let i = 0; i < 3; i++) limiter.hitSync('u1', t0 + minute * 60_000 + i);
    }
    // 15 in the hour: the hourly window refuses even though the minute is fresh.
    try {
      limiter.hitSync('u1', t0 + 5 * 60_000);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'RATE_LIMITED', details: { limit: 15 } });
    }
  });
});

describe('CaptureSlots', () => {
  it('refuses past capacity with CAPTURE_BUSY and frees exactly once', () => {
    const slots = new CaptureSlots(2);
    const a = slots.acquire();
    const b = slots.acquire();
    expect(() => slots.acquire()).toThrow(expect.objectContaining({ code: 'CAPTURE_BUSY' }));
    a();
    a();
    expect(slots.active).toBe(1);
    const c = slots.acquire();
    expect(() => slots.acquire()).toThrow(expect.objectContaining({ code: 'CAPTURE_BUSY' }));
    b();
    c();
    expect(slots.active).toBe(0);
  });
});
