export interface QuotaUsage {
  userId: string;
  limitBytes: number;
  usedBytes: number;
  reservedBytes: number;
}

/**
 * Per-user storage quota. Reservations are taken before any ffmpeg work and settled after:
 * `commit` on success, `release` on failure. All methods are atomic in the store.
 */
export interface QuotaLedger {
  /**
   * Reserves `bytes` for `reservationId` if used + reserved + bytes ≤ the user's limit
   * (the user's own limit, else `defaultLimitBytes`); otherwise throws `QUOTA_EXCEEDED`.
   */
  reserve(
    userId: string,
    reservationId: string,
    bytes: number,
    defaultLimitBytes: number,
  ): Promise<QuotaUsage>;
  /** Turns a reservation into used bytes of `actualBytes` (may exceed the estimate). Idempotent. */
  commit(userId: string, reservationId: string, actualBytes: number): Promise<QuotaUsage>;
  /** Drops a reservation without using it. Idempotent. */
  release(userId: string, reservationId: string): Promise<QuotaUsage>;
  /** Gives back bytes of a deleted clip. Never goes below zero. */
  free(userId: string, bytes: number): Promise<QuotaUsage>;
  getUsage(userId: string, defaultLimitBytes: number): Promise<QuotaUsage>;
  setLimit(userId: string, limitBytes: number): Promise<void>;
}
