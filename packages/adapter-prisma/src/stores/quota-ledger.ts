import { type QuotaLedger, ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { assertByteCount, assertExternalId, type QuotaUsage } from '@livekit-replay/core/adapter';
import type { UserReplayQuota } from '../generated/postgresql/client.js';
import {
  db,
  guard,
  LOCK,
  lock,
  type StoreContext,
  type Tx,
  toBigInt,
  toNumber,
  transaction,
  WriteConflict,
} from '../internal.js';

function usageOf(userId: string, row: UserReplayQuota | null, defaultLimitBytes?: number): QuotaUsage {
  if (!row) return { userId, limitBytes: defaultLimitBytes ?? 0, usedBytes: 0, reservedBytes: 0 };
  return {
    userId,
    limitBytes: toNumber(row.limitBytes ?? row.defaultLimitBytes),
    usedBytes: toNumber(row.usedBytes),
    reservedBytes: toNumber(row.reservedBytes),
  };
}

/**
 * QuotaLedger on Prisma. Every change runs in one transaction holding the user's quota lock
 * (a PostgreSQL advisory lock; SQLite serialises writers), so check-and-reserve cannot
 * interleave across app instances. `reservedBytes` is kept equal to the sum of the user's
 * pending reservations; settled reservations stay as rows so that repeating a reserve,
 * commit or release with the same id changes nothing.
 */
export class PrismaQuotaLedger implements QuotaLedger {
  constructor(private readonly ctx: StoreContext) {}

  private ensureAccount(tx: Tx, userId: string, defaultLimitBytes?: number) {
    const now = this.ctx.now();
    const defaults =
      defaultLimitBytes === undefined ? {} : { defaultLimitBytes: toBigInt(defaultLimitBytes) };
    return tx.userReplayQuota.upsert({
      where: { userId },
      create: { userId, ...defaults, updatedAt: now },
      update: defaults,
    });
  }

  async reserve(
    userId: string,
    reservationId: string,
    bytes: number,
    defaultLimitBytes: number,
  ): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertExternalId(reservationId, 'reservationId');
    assertByteCount(bytes, 'bytes');
    assertByteCount(defaultLimitBytes, 'defaultLimitBytes');
    return guard('reserving storage quota', () =>
      transaction(this.ctx, 'UserReplayQuota', async (tx) => {
        await lock(this.ctx, tx, LOCK.quota, userId);
        const account = await this.ensureAccount(tx, userId, defaultLimitBytes);
        const existing = await tx.replayQuotaReservation.findUnique({
          where: { userId_id: { userId, id: reservationId } },
        });
        // Pending or committed: this reservation already counts. Released ids may reserve again.
        if (existing && existing.status !== 'released') return usageOf(userId, account);
        const usage = usageOf(userId, account);
        if (usage.usedBytes + usage.reservedBytes + bytes > usage.limitBytes) {
          throw new ReplayBufferError(
            ReplayErrorCode.QUOTA_EXCEEDED,
            'not enough storage quota left for this clip; delete some clips or save a shorter range',
            {
              details: {
                limitBytes: usage.limitBytes,
                usedBytes: usage.usedBytes,
                reservedBytes: usage.reservedBytes,
                requestedBytes: bytes,
              },
            },
          );
        }
        const now = this.ctx.now();
        const pending = { bytes: toBigInt(bytes), status: 'pending', actualBytes: null, settledAt: null };
        if (existing) {
          await tx.replayQuotaReservation.update({
            where: { userId_id: { userId, id: reservationId } },
            data: { ...pending, createdAt: now },
          });
        } else {
          await tx.replayQuotaReservation.create({
            data: { userId, id: reservationId, ...pending, createdAt: now },
          });
        }
        // Compare-and-set on the figures the check used: correct even for a writer that
        // skipped the lock (a lost race rolls back and retries).
        const [updated] = await tx.userReplayQuota.updateManyAndReturn({
          where: { userId, usedBytes: account.usedBytes, reservedBytes: account.reservedBytes },
          data: { reservedBytes: { increment: toBigInt(bytes) }, updatedAt: now },
        });
        if (!updated) throw new WriteConflict('the quota row changed while reserving');
        return usageOf(userId, updated);
      }),
    );
  }

  async commit(userId: string, reservationId: string, actualBytes: number): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertExternalId(reservationId, 'reservationId');
    assertByteCount(actualBytes, 'actualBytes');
    return guard('committing storage quota', () =>
      transaction(this.ctx, 'UserReplayQuota', async (tx) => {
        await lock(this.ctx, tx, LOCK.quota, userId);
        const account = await this.ensureAccount(tx, userId);
        const key = { userId_id: { userId, id: reservationId } };
        const existing = await tx.replayQuotaReservation.findUnique({ where: key });
        if (existing?.status === 'committed') return usageOf(userId, account);
        const now = this.ctx.now();
        // A commit without an open reservation still counts: the clip exists.
        const openBytes = existing?.status === 'pending' ? existing.bytes : 0n;
        const settled = { status: 'committed', actualBytes: toBigInt(actualBytes), settledAt: now };
        await tx.replayQuotaReservation.upsert({
          where: key,
          create: { userId, id: reservationId, bytes: 0n, createdAt: now, ...settled },
          update: settled,
        });
        const updated = await tx.userReplayQuota.update({
          where: { userId },
          data: {
            reservedBytes: { decrement: openBytes },
            usedBytes: { increment: toBigInt(actualBytes) },
            updatedAt: now,
          },
        });
        return usageOf(userId, updated);
      }),
    );
  }

  async release(userId: string, reservationId: string): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertExternalId(reservationId, 'reservationId');
    return guard('releasing storage quota', () =>
      transaction(this.ctx, 'UserReplayQuota', async (tx) => {
        await lock(this.ctx, tx, LOCK.quota, userId);
        const account = await tx.userReplayQuota.findUnique({ where: { userId } });
        if (!account) return usageOf(userId, null);
        const key = { userId_id: { userId, id: reservationId } };
        const existing = await tx.replayQuotaReservation.findUnique({ where: key });
        if (existing?.status !== 'pending') return usageOf(userId, account);
        const now = this.ctx.now();
        await tx.replayQuotaReservation.update({ where: key, data: { status: 'released', settledAt: now } });
        const updated = await tx.userReplayQuota.update({
          where: { userId },
          data: { reservedBytes: { decrement: existing.bytes }, updatedAt: now },
        });
        return usageOf(userId, updated);
      }),
    );
  }

  async free(userId: string, bytes: number): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertByteCount(bytes, 'bytes');
    return guard('freeing storage quota', () =>
      transaction(this.ctx, 'UserReplayQuota', async (tx) => {
        await lock(this.ctx, tx, LOCK.quota, userId);
        const account = await tx.userReplayQuota.findUnique({ where: { userId } });
        if (!account) return usageOf(userId, null);
        const freed = toBigInt(bytes);
        const usedBytes = account.usedBytes > freed ? account.usedBytes - freed : 0n;
        // Compare-and-set on the value read: never below zero, even for a writer without the lock.
        const { count } = await tx.userReplayQuota.updateMany({
          where: { userId, usedBytes: account.usedBytes },
          data: { usedBytes, updatedAt: this.ctx.now() },
        });
        if (count === 0) throw new WriteConflict('the quota row changed while freeing bytes');
        return usageOf(userId, { ...account, usedBytes });
      }),
    );
  }

  async getUsage(userId: string, defaultLimitBytes: number): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertByteCount(defaultLimitBytes, 'defaultLimitBytes');
    return guard('reading storage quota', async () => {
      // Remembers the default, as commit/release/free report the limit without being told it.
      const rows = await db(this.ctx).userReplayQuota.updateManyAndReturn({
        where: { userId },
        data: { defaultLimitBytes: toBigInt(defaultLimitBytes) },
      });
      return usageOf(userId, rows[0] ?? null, defaultLimitBytes);
    });
  }

  async setLimit(userId: string, limitBytes: number): Promise<void> {
    assertExternalId(userId, 'userId');
    assertByteCount(limitBytes, 'limitBytes');
    await guard('setting the storage quota limit', () =>
      transaction(this.ctx, 'UserReplayQuota', async (tx) => {
        await lock(this.ctx, tx, LOCK.quota, userId);
        const now = this.ctx.now();
        await tx.userReplayQuota.upsert({
          where: { userId },
          create: { userId, limitBytes: toBigInt(limitBytes), updatedAt: now },
          update: { limitBytes: toBigInt(limitBytes), updatedAt: now },
        });
      }),
    );
  }
}
