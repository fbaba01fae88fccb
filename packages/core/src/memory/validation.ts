import { ReplayBufferError, ReplayErrorCode } from '../errors.js';

/** Longest id an integrator may hand us (user, owner, community, reservation ids). */
export const MAX_EXTERNAL_ID_LENGTH = 128;

function invalid(message: string, field: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message, { details: { field } });
}

/**
 * Ids that come from the integrator (user ids, community ids) never reach a path, so any
 * non-empty string up to 128 characters is accepted.
 */
export function assertExternalId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_EXTERNAL_ID_LENGTH) {
    throw invalid(
      `${field} must be a non-empty string of at most ${MAX_EXTERNAL_ID_LENGTH} characters`,
      field,
    );
  }
  return value;
}

/** Byte counts are whole, non-negative and exactly representable. */
export function assertByteCount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${field} must be a non-negative integer number of bytes`, field);
  }
  return value;
}

export function assertPositiveInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid(`${field} must be a positive integer`, field);
  }
  return value;
}

export function assertNonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(`${field} must be a non-negative integer`, field);
  }
  return value;
}

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
