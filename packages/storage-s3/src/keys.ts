import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';

// One key component: letters, digits, "_" or "-", with an optional extension (like core's safeJoin).
const COMPONENT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)?$/;

/** Checks a storage key built by the library (`clips/clip_ab12.mp4`): no traversal, no oddities. */
export function assertStorageKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'storage key must be a non-empty string');
  }
  for (const part of key.split('/')) {
    if (!COMPONENT.test(part)) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `unsafe storage key component "${part}"`);
    }
  }
  return key;
}

/**
 * Normalises a bucket prefix (`replay`, `replay/`, `a/b/`) to `''` or `a/b/`; each component
 * must be safe.
 */
export function normalizeKeyPrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return '';
  assertStorageKey(trimmed);
  return `${trimmed}/`;
}
