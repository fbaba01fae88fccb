import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { QuotaLedger, QuotaUsage } from '../ports/quota-ledger.js';
import { assertByteCount, assertExternalId } from '../store-validation.js';

/** One user's ledger row. */
export interface MemoryQuotaAccount {
  /** Per-user override from setLimit, or null to use the default the caller passes. */
  limitBytes: number | null;
  /** Last default limit a caller passed (commit/release/free report it, having none of their own). */
  defaultLimitBytes: number;
  usedBytes: number;
  /** Open reservations: reservationId → bytes. */
  reservations: Map<string, number>;
  /** Reservations already turned into used bytes (makes commit idempotent). */
  committed: Set<string>;
}

/**
 * QuotaLedger kept in memory. Invariants every adapter keeps:
 * - reserve never lets used + reserved exceed the limit, and a repeated reservationId is a no-op;
 * - a reservationId's bytes are counted as used at most once, whatever the order of commits and
 *   releases (a commit without an open reservation still counts `actualBytes`, because the clip
 *   exists; a release after a commit changes nothing);
 * - used bytes never go below zero.
 */
export class MemoryQuotaLedger implements QuotaLedger {
  /** Accounts by user id (protected so tests can read what was stored). */
  protected readonly accounts = new Map<string, MemoryQuotaAccount>();

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
    const account = this.account(userId, defaultLimitBytes);
    if (account.reservations.has(reservationId) || account.committed.has(reservationId)) {
      return this.usage(userId, account);
    }
    const usage = this.usage(userId, account);
    if (usage.usedBytes + usage.reservedBytes + bytes > usage.limitBytes) {
      throw new ReplayBufferError(
        ReplayErrorCode.QUOTA_EXCEEDED,
        'not enough storage quota left for this clip; delete some clips or save a shorter range',
        { details: { ...usageFigures(usage), requestedBytes: bytes } },
      );
    }
    account.reservations.set(reservationId, bytes);
    return this.usage(userId, account);
  }

  async commit(userId: string, reservationId: string, actualBytes: number): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertExternalId(reservationId, 'reservationId');
    assertByteCount(actualBytes, 'actualBytes');
    const account = this.account(userId);
    if (!account.committed.has(reservationId)) {
      account.reservations.delete(reservationId);
      account.committed.add(reservationId);
      account.usedBytes += actualBytes;
    }
    return this.usage(userId, account);
  }

  async release(userId: string, reservationId: string): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertExternalId(reservationId, 'reservationId');
    const account = this.account(userId);
    account.reservations.delete(reservationId);
    return this.usage(userId, account);
  }

  async free(userId: string, bytes: number): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertByteCount(bytes, 'bytes');
    const account = this.account(userId);
    account.usedBytes = Math.max(0, account.usedBytes - bytes);
    return this.usage(userId, account);
  }

  async getUsage(userId: string, defaultLimitBytes: number): Promise<QuotaUsage> {
    assertExternalId(userId, 'userId');
    assertByteCount(defaultLimitBytes, 'defaultLimitBytes');
    const account = this.accounts.get(userId);
    if (!account) return { userId, limitBytes: defaultLimitBytes, usedBytes: 0, reservedBytes: 0 };
    account.defaultLimitBytes = defaultLimitBytes;
    return this.usage(userId, account);
  }

  async setLimit(userId: string, limitBytes: number): Promise<void> {
    assertExternalId(userId, 'userId');
    assertByteCount(limitBytes, 'limitBytes');
    this.account(userId).limitBytes = limitBytes;
  }

  private account(userId: string, defaultLimitBytes?: number): MemoryQuotaAccount {
    let account = this.accounts.get(userId);
    if (!account) {
      account = {
        limitBytes: null,
        defaultLimitBytes: defaultLimitBytes ?? 0,
        usedBytes: 0,
        reservations: new Map(),
        committed: new Set(),
      };
      this.accounts.set(userId, account);
    } else if (defaultLimitBytes !== undefined) {
      account.defaultLimitBytes = defaultLimitBytes;
    }
    return account;
  }

  private usage(userId: string, account: MemoryQuotaAccount): QuotaUsage {
    let reservedBytes = 0;
    for (const bytes of account.reservations.values()) reservedBytes += bytes;
    return {
      userId,
      limitBytes: account.limitBytes ?? account.defaultLimitBytes,
      usedBytes: account.usedBytes,
      reservedBytes,
    };
  }
}

function usageFigures(usage: QuotaUsage) {
  return { limitBytes: usage.limitBytes, usedBytes: usage.usedBytes, reservedBytes: usage.reservedBytes };
}
