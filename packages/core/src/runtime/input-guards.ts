import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { CommunityReplayConfig } from '../ports/community-config-store.js';
import { MAX_EXTERNAL_ID_LENGTH } from '../store-validation.js';

/**
 * Guards for public calls that take bare values (no input schema): every id is checked before
 * it reaches a store, so a database never answers with its own error text (PostgreSQL's 503
 * with the driver message) or silently truncates (SQLite at a NUL byte).
 */

/** Integrator ids (user, community, …): 1–128 printable ASCII characters, no spaces, no NUL. */
const INTEGRATOR_ID = new RegExp(`^[\\x21-\\x7e]{1,${MAX_EXTERNAL_ID_LENGTH}}$`);

export function assertIntegratorId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !INTEGRATOR_ID.test(value)) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      `${field} must be 1-${MAX_EXTERNAL_ID_LENGTH} printable ASCII characters without spaces`,
      { details: { field } },
    );
  }
  return value;
}

/** A community's replay settings as `setCommunityConfig` accepts them. */
export function assertCommunityConfig(value: unknown): CommunityReplayConfig {
  if (typeof value !== 'object' || value === null) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'the community config must be an object', {
      details: { field: 'config' },
    });
  }
  const config = value as Record<string, unknown>;
  assertIntegratorId(config.communityId, 'communityId');
  if (typeof config.enabled !== 'boolean') {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'enabled must be true or false', {
      details: { field: 'enabled' },
    });
  }
  const max = config.maxConcurrent;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'maxConcurrent must be a positive integer', {
      details: { field: 'maxConcurrent' },
    });
  }
  return value as CommunityReplayConfig;
}

/**
 * `handleWebhook` takes the raw request body (a string or bytes) and the Authorization header.
 * Anything else (a body some middleware already parsed, null, a number) is WEBHOOK_INVALID
 * with a hint, never a TypeError from deep inside the signature check.
 */
export function assertRawWebhookInput(rawBody: unknown, authorization: unknown): void {
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    const got = rawBody === null ? 'null' : Array.isArray(rawBody) ? 'an array' : typeof rawBody;
    throw new ReplayBufferError(
      ReplayErrorCode.WEBHOOK_INVALID,
      `The webhook body must be the raw request body (a string or bytes), got ${got}; register a raw body parser for application/webhook+json instead of a JSON parser`,
      { details: { bodyType: got } },
    );
  }
  if (authorization !== undefined && authorization !== null && typeof authorization !== 'string') {
    throw new ReplayBufferError(
      ReplayErrorCode.WEBHOOK_INVALID,
      'The webhook Authorization header must be a string',
      { details: { headerType: typeof authorization } },
    );
  }
}
