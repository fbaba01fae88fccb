import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode } from './errors.js';

/**
 * Ids that end up in file paths, storage keys or ffmpeg arguments must match this: letters,
 * digits, `_` and `-`, 1–128 characters. No dots, so no `..`; no slashes.
 */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID_PATTERN.test(value);
}

/** Throws INVALID_INPUT unless `value` is a safe id. */
export function assertSafeId(value: unknown, field: string): string {
  if (!isSafeId(value)) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      `${field} must be 1-128 characters of letters, digits, "_" or "-"`,
      { details: { field } },
    );
  }
  return value;
}

/** A new id for library-generated records, with a readable prefix (`rs_…`, `clip_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}

/**
 * Joins `parts` under `root` and refuses any result outside it. Each part must be a safe id
 * or a file name made of safe characters (a single dot allowed for the extension).
 */
export function safeJoin(root: string, ...parts: string[]): string {
  for (const part of parts) {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)?$/.test(part)) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `unsafe path component "${part}"`);
    }
  }
  const base = path.resolve(root);
  const full = path.resolve(base, ...parts);
  if (full !== base && !full.startsWith(base + path.sep)) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'path escapes its root directory');
  }
  return full;
}
