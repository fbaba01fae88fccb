import type { JobLock } from '@livekit-replay/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReplayError, sleep, uniqueId } from './helpers.js';
import type { JobLockContractOptions } from './types.js';

/**
 * Registers the JobLock contract. Expiry tests wait for real (a few hundred ms), with margins
 * wide enough for a loaded machine. With `crossInstance`, holders on two instances compete.
 */
export function runJobLockContract(options: JobLockContractOptions): void {
  describe(`${options.name}: JobLock contract`, () => {
    let first: JobLock;
    let second: JobLock;

    beforeAll(async () => {
      first = await options.create();
      second = options.crossInstance ? await options.create() : first;
    });

    afterAll(async () => {
      await options.cleanup?.();
    });

    /** The two competitors: separate instances when the lock is shared, else the same one. */
    const locks = () => [first, second] as const;

    it('gives a free lease, refuses it while held, and gives it again after release', async () => {
      const name = uniqueId('job');
      const [a, b] = locks();
      const lease = await a.acquire(name, 10_000);
      expect(lease).not.toBeNull();
      expect(await b.acquire(name, 10_000)).toBeNull();
      expect(await a.acquire(name, 10_000)).toBeNull();
      // Other names are independent.
      const other = await b.acquire(uniqueId('job'), 10_000);
      expect(other).not.toBeNull();
      await lease!.release();
      const next = await b.acquire(name, 10_000);
      expect(next).not.toBeNull();
      await next!.release();
      await other!.release();
    });

    it('lets exactly one of 20 concurrent acquirers win', async () => {
      const name = uniqueId('job');
      const [a, b] = locks();
      const leases = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).acquire(name, 10_000)),
      );
      const winners = leases.filter((lease) => lease !== null);
      expect(winners).toHaveLength(1);
      await winners[0]!.release();
    });

    it('release is idempotent and does not free a lease taken again by someone else', async () => {
      const name = uniqueId('job');
      const [a, b] = locks();
      const lease = (await a.acquire(name, 10_000))!;
      await lease.release();
      await lease.release();
      const next = (await b.acquire(name, 10_000))!;
      expect(next).not.toBeNull();
      await lease.release(); // a stale holder must not release the new owner's lease
      expect(await a.acquire(name, 10_000)).toBeNull();
      await next.release();
    });

    it('lets an expired lease be taken; the old holder can neither renew nor release it', async () => {
      const name = uniqueId('job');
      const [a, b] = locks();
      const stale = (await a.acquire(name, 150))!;
      expect(stale).not.toBeNull();
      await sleep(400);
      const fresh = await b.acquire(name, 10_000);
      expect(fresh).not.toBeNull();
      await stale.release();
      expect(await a.acquire(name, 10_000)).toBeNull();
      expect(await stale.renew(10_000)).toBe(false);
      expect(await fresh!.renew(10_000)).toBe(true);
      expect(await b.acquire(name, 10_000)).toBeNull();
      await fresh!.release();
      expect(await a.acquire(name, 1_000)).not.toBeNull();
    });

    it('renew extends a held lease past its first TTL', async () => {
      const name = uniqueId('job');
      const [a, b] = locks();
      const lease = (await a.acquire(name, 1_000))!;
      await sleep(100);
      expect(await lease.renew(10_000)).toBe(true);
      await sleep(1_300); // past the first TTL, well inside the renewed one
      expect(await b.acquire(name, 10_000)).toBeNull();
      await lease.release();
      expect(await b.acquire(name, 1_000)).not.toBeNull();
    });

    it('refuses a TTL that is not a positive number and an empty name with INVALID_INPUT', async () => {
      const [a] = locks();
      for (const ttl of [0, -5, Number.NaN]) {
        await expectReplayError(() => a.acquire(uniqueId('job'), ttl), 'INVALID_INPUT');
      }
      await expectReplayError(() => a.acquire('', 1_000), 'INVALID_INPUT');
    });
  });
}
