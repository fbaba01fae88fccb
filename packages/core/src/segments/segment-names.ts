import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { SegmentNaming } from '../types.js';

/**
 * LiveKit segment file names (SegmentedFileOutput.filenameSuffix):
 * - INDEX:     `<prefix>_00000.ts` (zero-padded to at least 5 digits)
 * - TIMESTAMP: `<prefix>_YYYYMMDDhhmmssmmm.ts` (UTC start of the segment, milliseconds)
 *
 * Anything else is not a segment. In particular the implementation guide's
 * `segment-<digits>.ts` (read as epoch milliseconds) never matches real LiveKit names.
 */

/** A prefix must be safe to use in a file name and a regular expression. */
export const SEGMENT_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export type ParsedSegmentName =
  | { naming: 'INDEX'; name: string; index: number }
  | { naming: 'TIMESTAMP'; name: string; timestampMs: number };

export function assertSegmentPrefix(prefix: string): string {
  if (!SEGMENT_PREFIX_PATTERN.test(prefix)) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      'segment filename prefix must be 1-128 characters of letters, digits, "_" or "-"',
      { details: { prefix } },
    );
  }
  return prefix;
}

const patternCache = new Map<string, RegExp>();

function namePattern(prefix: string, naming: SegmentNaming): RegExp {
  const key = `${naming}:${prefix}`;
  let pattern = patternCache.get(key);
  if (!pattern) {
    // The prefix only holds [A-Za-z0-9_-], none of which is special in a RegExp.
    assertSegmentPrefix(prefix);
    pattern =
      naming === 'INDEX'
        ? new RegExp(`^${prefix}_(\\d{5,9})\\.ts$`)
        : new RegExp(`^${prefix}_(\\d{4})(\\d{2})(\\d{2})(\\d{2})(\\d{2})(\\d{2})(\\d{3})\\.ts$`);
    patternCache.set(key, pattern);
  }
  return pattern;
}

/**
 * Parses `name` as a segment of `prefix` written with `naming`; null for anything else
 * (other prefixes, playlists, temp files, path separators, impossible dates).
 */
export function parseSegmentName(
  name: string,
  prefix: string,
  naming: SegmentNaming,
): ParsedSegmentName | null {
  const match = namePattern(prefix, naming).exec(name);
  if (!match) return null;
  if (naming === 'INDEX') {
    return { naming, name, index: Number(match[1]) };
  }
  const [year, month, day, hour, minute, second, milli] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, milli);
  // Reject values Date.UTC silently rolls over (month 13, 25:00, …).
  const d = new Date(ms);
  if (
    d.getUTCFullYear() !== year ||
    d.getUTCMonth() !== month - 1 ||
    d.getUTCDate() !== day ||
    d.getUTCHours() !== hour ||
    d.getUTCMinutes() !== minute ||
    d.getUTCSeconds() !== second
  ) {
    return null;
  }
  return { naming, name, timestampMs: ms };
}

export function isSegmentName(name: string, prefix: string, naming: SegmentNaming): boolean {
  return parseSegmentName(name, prefix, naming) !== null;
}

/** `prefix_00042.ts` */
export function formatIndexSegmentName(prefix: string, index: number): string {
  assertSegmentPrefix(prefix);
  if (!Number.isInteger(index) || index < 0 || index > 999_999_999) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `invalid segment index ${index}`);
  }
  return `${prefix}_${String(index).padStart(5, '0')}.ts`;
}

/** `prefix_20261121133000123.ts` for a segment starting at `startMs` (UTC). */
export function formatTimestampSegmentName(prefix: string, startMs: number): string {
  assertSegmentPrefix(prefix);
  const d = new Date(Math.floor(startMs));
  if (!Number.isFinite(d.getTime()) || d.getUTCFullYear() < 1000 || d.getUTCFullYear() > 9999) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `invalid segment start ${startMs}`);
  }
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${prefix}_${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}.ts`
  );
}
