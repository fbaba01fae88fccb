import type { QuotaLedger } from '@livekit-replay/core';
import type { QuotaUsage } from '@livekit-replay/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReplayError, resolveRaw, tally, uniqueId } from './helpers.js';
import type { QuotaLedgerContractOptions, RawOf } from './types.js';

const MB = 1_000_000;
const GB = 1_000_000_000;

/**
 * Registers the QuotaLedger contract: reservations never push used + reserved over the limit,
 * a reservation id counts at most once, and used bytes never go negative.
 */
export function runQuotaLedgerContract(options: QuotaLedgerContractOptions): void {
  describe(`${options.name}: QuotaLedger contract`, () => {
    let ledger: QuotaLedger;
    let raw: RawOf<typeof options> | undefined;

    beforeAll(async () => {
      ledger = await options.create();
      raw = resolveRaw(options.raw);
    });

    afterAll(async () => {
      await options.cleanup?.();
    });

    const figures = (usage: QuotaUsage) => ({
      usedBytes: usage.usedBytes,
      reservedBytes: usage.reservedBytes,
    });

    async function expectRaw(userId: string, expected: { usedBytes: number; reservedBytes: number }) {
      if (!raw) return;
      expect(await raw.getQuota(userId)).toMatchObject({ userId, ...expected });
    }

    describe('getUsage', () => {
      it('reports zero use and the default limit for a user never seen', async () => {
        const userId = uniqueId('user');
        expect(await ledger.getUsage(userId, 5 * GB)).toEqual({
          userId,
          limitBytes: 5 * GB,
          usedBytes: 0,
          reservedBytes: 0,
        });
      });
    });

    describe('reserve', () => {
      it('reserves within the limit, up to exactly the limit', async () => {
        const userId = uniqueId('user');
        const first = await ledger.reserve(userId, uniqueId('res'), 600 * MB, GB);
        expect(first).toEqual({ userId, limitBytes: GB, usedBytes: 0, reservedBytes: 600 * MB });
        const second = await ledger.reserve(userId, uniqueId('res'), 400 * MB, GB);
        expect(second.reservedBytes).toBe(GB);
        expect(await ledger.getUsage(userId, GB)).toEqual(second);
        await expectRaw(userId, { usedBytes: 0, reservedBytes: GB });
      });

      it('refuses a reservation past the limit with QUOTA_EXCEEDED and the figures, changing nothing', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 300 * MB, GB);
        await ledger.commit(userId, reservation, 350 * MB);
        await ledger.reserve(userId, uniqueId('res'), 200 * MB, GB);
        const denied = uniqueId('res');
        const error = await expectReplayError(
          () => ledger.reserve(userId, denied, 451 * MB, GB),
          'QUOTA_EXCEEDED',
        );
        expect(error.details).toMatchObject({
          limitBytes: GB,
          usedBytes: 350 * MB,
          reservedBytes: 200 * MB,
          requestedBytes: 451 * MB,
        });
        expect(figures(await ledger.getUsage(userId, GB))).toEqual({
          usedBytes: 350 * MB,
          reservedBytes: 200 * MB,
        });
        await expectRaw(userId, { usedBytes: 350 * MB, reservedBytes: 200 * MB });
        // The refused id left no trace: it can be reserved later when it fits.
        await ledger.reserve(userId, denied, 450 * MB, GB);
      });

      it('is idempotent for a reservation id already reserved', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 700 * MB, GB);
        const again = await ledger.reserve(userId, reservation, 700 * MB, GB);
        expect(figures(again)).toEqual({ usedBytes: 0, reservedBytes: 700 * MB });
        await expectRaw(userId, { usedBytes: 0, reservedBytes: 700 * MB });
      });

      it('does not reserve again an id that was already committed', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 100 * MB, GB);
        await ledger.commit(userId, reservation, 90 * MB);
        const again = await ledger.reserve(userId, reservation, 100 * MB, GB);
        expect(figures(again)).toEqual({ usedBytes: 90 * MB, reservedBytes: 0 });
      });

      it('keeps users apart', async () => {
        const alice = uniqueId('user');
        const bob = uniqueId('user');
        await ledger.reserve(alice, uniqueId('res'), 900 * MB, GB);
        const bobs = await ledger.reserve(bob, uniqueId('res'), 900 * MB, GB);
        expect(figures(bobs)).toEqual({ usedBytes: 0, reservedBytes: 900 * MB });
      });

      it('handles byte counts above 2^32', async () => {
        const userId = uniqueId('user');
        const limit = 20 * GB;
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 6 * GB, limit);
        await ledger.commit(userId, reservation, 6 * GB + 123);
        const usage = await ledger.reserve(userId, uniqueId('res'), 13 * GB, limit);
        expect(figures(usage)).toEqual({ usedBytes: 6 * GB + 123, reservedBytes: 13 * GB });
        await expectReplayError(() => ledger.reserve(userId, uniqueId('res'), GB, limit), 'QUOTA_EXCEEDED');
        await expectRaw(userId, { usedBytes: 6 * GB + 123, reservedBytes: 13 * GB });
      });

      it('refuses negative, fractional or non-numeric byte counts and empty ids with INVALID_INPUT', async () => {
        const userId = uniqueId('user');
        for (const bytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expectReplayError(() => ledger.reserve(userId, uniqueId('res'), bytes, GB), 'INVALID_INPUT');
        }
        await expectReplayError(() => ledger.reserve(userId, uniqueId('res'), MB, -5), 'INVALID_INPUT');
        await expectReplayError(() => ledger.reserve('', uniqueId('res'), MB, GB), 'INVALID_INPUT');
        await expectReplayError(() => ledger.reserve(userId, '', MB, GB), 'INVALID_INPUT');
        await expectReplayError(() => ledger.commit(userId, uniqueId('res'), -1), 'INVALID_INPUT');
        await expectReplayError(() => ledger.commit(userId, uniqueId('res'), 0.5), 'INVALID_INPUT');
        await expectReplayError(() => ledger.free(userId, -10), 'INVALID_INPUT');
        await expectReplayError(() => ledger.setLimit(userId, -1), 'INVALID_INPUT');
        await expectReplayError(() => ledger.setLimit(userId, 2.5), 'INVALID_INPUT');
        expect(figures(await ledger.getUsage(userId, GB))).toEqual({ usedBytes: 0, reservedBytes: 0 });
      });
    });

    describe('commit', () => {
      it('turns a reservation into used bytes of the actual size, once', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 100 * MB, GB);
        const committed = await ledger.commit(userId, reservation, 120 * MB);
        expect(figures(committed)).toEqual({ usedBytes: 120 * MB, reservedBytes: 0 });
        expect(figures(await ledger.commit(userId, reservation, 120 * MB))).toEqual(figures(committed));
        expect(figures(await ledger.commit(userId, reservation, 999 * MB))).toEqual(figures(committed));
        // A release after the commit changes nothing either.
        expect(figures(await ledger.release(userId, reservation))).toEqual(figures(committed));
        await expectRaw(userId, { usedBytes: 120 * MB, reservedBytes: 0 });
      });

      it('may take used bytes past the limit (the clip exists); later reserves are refused', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 900 * MB, GB);
        expect(figures(await ledger.commit(userId, reservation, 1100 * MB))).toEqual({
          usedBytes: 1100 * MB,
          reservedBytes: 0,
        });
        await expectReplayError(() => ledger.reserve(userId, uniqueId('res'), 1, GB), 'QUOTA_EXCEEDED');
      });

      it('counts a commit without an open reservation once (the clip exists)', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        expect(figures(await ledger.commit(userId, reservation, 42 * MB))).toEqual({
          usedBytes: 42 * MB,
          reservedBytes: 0,
        });
        expect(figures(await ledger.commit(userId, reservation, 42 * MB))).toEqual({
          usedBytes: 42 * MB,
          reservedBytes: 0,
        });
      });

      it('reports the per-user limit when one is set', async () => {
        const userId = uniqueId('user');
        await ledger.setLimit(userId, 3 * GB);
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, MB, GB);
        expect((await ledger.commit(userId, reservation, MB)).limitBytes).toBe(3 * GB);
        expect((await ledger.free(userId, MB)).limitBytes).toBe(3 * GB);
      });
    });

    describe('release', () => {
      it('drops a reservation; releasing again or an unknown id changes nothing', async () => {
        const userId = uniqueId('user');
        const keep = uniqueId('res');
        const drop = uniqueId('res');
        await ledger.reserve(userId, keep, 200 * MB, GB);
        await ledger.reserve(userId, drop, 300 * MB, GB);
        expect(figures(await ledger.release(userId, drop))).toEqual({
          usedBytes: 0,
          reservedBytes: 200 * MB,
        });
        expect(figures(await ledger.release(userId, drop))).toEqual({
          usedBytes: 0,
          reservedBytes: 200 * MB,
        });
        expect(figures(await ledger.release(userId, uniqueId('res')))).toEqual({
          usedBytes: 0,
          reservedBytes: 200 * MB,
        });
        await expectRaw(userId, { usedBytes: 0, reservedBytes: 200 * MB });
        // The released bytes are available again.
        await ledger.reserve(userId, uniqueId('res'), 800 * MB, GB);
      });
    });

    describe('free', () => {
      it('gives bytes back and never goes below zero', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 100 * MB, GB);
        await ledger.commit(userId, reservation, 100 * MB);
        expect(figures(await ledger.free(userId, 30 * MB))).toEqual({ usedBytes: 70 * MB, reservedBytes: 0 });
        expect(figures(await ledger.free(userId, 500 * MB))).toEqual({ usedBytes: 0, reservedBytes: 0 });
        expect(figures(await ledger.free(uniqueId('user'), MB))).toEqual({ usedBytes: 0, reservedBytes: 0 });
        await expectRaw(userId, { usedBytes: 0, reservedBytes: 0 });
      });
    });

    describe('setLimit', () => {
      it('overrides the default limit for that user only', async () => {
        const userId = uniqueId('user');
        await ledger.setLimit(userId, 2 * GB);
        expect((await ledger.getUsage(userId, GB)).limitBytes).toBe(2 * GB);
        expect((await ledger.getUsage(uniqueId('user'), GB)).limitBytes).toBe(GB);
        const usage = await ledger.reserve(userId, uniqueId('res'), 1500 * MB, GB);
        expect(usage).toMatchObject({ limitBytes: 2 * GB, reservedBytes: 1500 * MB });
        if (raw) expect(await raw.getQuota(userId)).toMatchObject({ limitBytes: 2 * GB });

        // Lowering it below what is in use blocks new reservations but keeps existing ones.
        await ledger.setLimit(userId, GB);
        const error = await expectReplayError(
          () => ledger.reserve(userId, uniqueId('res'), 1, 10 * GB),
          'QUOTA_EXCEEDED',
        );
        expect(error.details).toMatchObject({ limitBytes: GB, reservedBytes: 1500 * MB, requestedBytes: 1 });
      });
    });

    describe('races', () => {
      it('50 parallel reserves of 100 MB under 1 GB: exactly 10 succeed', async () => {
        const userId = uniqueId('user');
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, () => ledger.reserve(userId, uniqueId('res'), 100 * MB, GB)),
        );
        const { values, codes } = tally(results);
        expect(values).toHaveLength(10);
        expect(codes).toEqual(Array(40).fill('QUOTA_EXCEEDED'));
        for (const usage of values) expect(usage.usedBytes + usage.reservedBytes).toBeLessThanOrEqual(GB);
        expect(figures(await ledger.getUsage(userId, GB))).toEqual({ usedBytes: 0, reservedBytes: GB });
        await expectRaw(userId, { usedBytes: 0, reservedBytes: GB });
      });

      it('parallel reserves, commits and releases never exceed the limit', async () => {
        const userId = uniqueId('user');
        const limit = 500 * MB;
        const succeeded: string[] = [];
        await Promise.all(
          Array.from({ length: 30 }, async (_, i) => {
            const reservation = uniqueId('res');
            try {
              await ledger.reserve(userId, reservation, 100 * MB, limit);
            } catch (error) {
              expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED' });
              return;
            }
            succeeded.push(reservation);
            // Half fail and release; half commit a smaller clip.
            if (i % 2 === 0) await ledger.release(userId, reservation);
            else await ledger.commit(userId, reservation, 10 * MB);
          }),
        );
        expect(succeeded.length).toBeGreaterThanOrEqual(5);
        const usage = await ledger.getUsage(userId, limit);
        expect(usage.reservedBytes).toBe(0);
        expect(usage.usedBytes % (10 * MB)).toBe(0);
        expect(usage.usedBytes).toBeLessThanOrEqual(limit);
      });

      it('parallel reserves of one reservation id count it once', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        const results = await Promise.all(
          Array.from({ length: 20 }, () => ledger.reserve(userId, reservation, 300 * MB, GB)),
        );
        for (const usage of results) expect(usage.reservedBytes).toBe(300 * MB);
        expect(figures(await ledger.getUsage(userId, GB))).toEqual({ usedBytes: 0, reservedBytes: 300 * MB });
      });

      it('parallel commits and releases of one reservation count its bytes exactly once', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 100 * MB, GB);
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            i % 2 === 0 ? ledger.commit(userId, reservation, 80 * MB) : ledger.release(userId, reservation),
          ),
        );
        expect(figures(await ledger.getUsage(userId, GB))).toEqual({ usedBytes: 80 * MB, reservedBytes: 0 });
        await expectRaw(userId, { usedBytes: 80 * MB, reservedBytes: 0 });
      });

      it('parallel frees never take used bytes below zero', async () => {
        const userId = uniqueId('user');
        const reservation = uniqueId('res');
        await ledger.reserve(userId, reservation, 100 * MB, GB);
        await ledger.commit(userId, reservation, 100 * MB);
        const results = await Promise.all(Array.from({ length: 10 }, () => ledger.free(userId, 30 * MB)));
        for (const usage of results) expect(usage.usedBytes).toBeGreaterThanOrEqual(0);
        expect((await ledger.getUsage(userId, GB)).usedBytes).toBe(0);
      });
    });
  });
}
