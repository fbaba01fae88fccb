import path from 'node:path';
import type { ReplayBufferError } from './errors.js';

/**
 * Error messages go to API callers: they must not carry absolute server paths (Node's
 * "ENOENT: …, open '/srv/…'", ffmpeg's "/srv/…/replay_00012.ts: Invalid data"). Paths under a
 * known root become relative to it (`rs_…/replay_00012.ts`); any other absolute path keeps only
 * its last component (`…/name`). URLs are left alone.
 */
export function redactPaths(message: string, roots: readonly string[]): string {
  let text = message;
  const sorted = [...new Set(roots.filter(Boolean).map((r) => path.resolve(r)))].sort(
    (a, b) => b.length - a.length,
  );
  for (const root of sorted) {
    if (root === path.sep) continue;
    text = text.split(`${root}${path.sep}`).join('').split(root).join('.');
  }
  // Remaining absolute paths: start of text or after a space, quote, bracket or '='.
  return text.replace(/(^|[\s'"(=])\/(?:[^\s'"()/]+\/)+([^\s'"()/:,]+)/g, '$1…/$2');
}

/** Redacts `error.message` in place (same code, details and cause) and returns the error. */
export function redactErrorPaths<E extends ReplayBufferError>(error: E, roots: readonly string[]): E {
  const redacted = redactPaths(error.message, roots);
  if (redacted !== error.message) error.message = redacted;
  return error;
}
