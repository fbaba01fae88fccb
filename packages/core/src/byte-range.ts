import { ReplayBufferError, ReplayErrorCode } from './errors.js';

export interface InclusiveByteRange {
  start: number;
  end: number;
}

/**
 * Checks a byte range (inclusive) against a stored object of `size` bytes: whole integers,
 * start ≤ end < size. Storage and segment sources call it before reading. Throws
 * RANGE_NOT_SATISFIABLE (416) with `details.size`.
 */
export function assertByteRange(range: InclusiveByteRange, size: number): void {
  const { start, end } = range;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end >= size) {
    throw new ReplayBufferError(
      ReplayErrorCode.RANGE_NOT_SATISFIABLE,
      `byte range ${start}-${end} is outside 0-${size - 1}`,
      { details: { size } },
    );
  }
}
