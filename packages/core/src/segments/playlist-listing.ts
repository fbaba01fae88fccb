import type { SegmentNaming } from '../types.js';
import type { PlaylistEntry } from './playlist.js';
import type { CachedPlaylist } from './playlist-cache.js';
import { type ParsedSegmentName, parseSegmentName } from './segment-names.js';

/** Ordering key of a segment name: its index, or the start encoded in a TIMESTAMP name. */
export const keyOfSegmentName = (parsed: ParsedSegmentName): number =>
  parsed.naming === 'INDEX' ? parsed.index : parsed.timestampMs;

/**
 * A playlist's segment entries by name, and their ordering keys sorted, built once per parse
 * and extended with appended entries (kept in the playlist cache beside the parse), so a call
 * costs what the directory holds, not how long the playlist grew.
 */
export interface PlaylistListing {
  ended: boolean;
  byName: Map<string, PlaylistEntry>;
  /** Ordering keys of every listed segment, ascending. */
  keys: number[];
}

interface ListingState extends PlaylistListing {
  /** Entries of the parse already looked at. */
  seen: number;
  mediaSequence: number;
}

export function listingOf(cached: CachedPlaylist, prefix: string, naming: SegmentNaming): PlaylistListing {
  const slot = `listing:${naming}:${prefix}`;
  const { parsed } = cached;
  let state = cached.derived.get(slot) as ListingState | undefined;
  if (!state || state.mediaSequence !== parsed.mediaSequence) {
    state = { ended: false, byName: new Map(), keys: [], seen: 0, mediaSequence: parsed.mediaSequence };
    cached.derived.set(slot, state);
  }
  let unsorted = false;
  for (; state.seen < parsed.entries.length; state.seen++) {
    const entry = parsed.entries[state.seen]!;
    const name = parseSegmentName(entry.uri, prefix, naming);
    if (!name) continue;
    const key = keyOfSegmentName(name);
    const last = state.keys.at(-1);
    if (last !== undefined && key < last) unsorted = true;
    if (!state.byName.has(name.name)) state.keys.push(key);
    state.byName.set(name.name, entry);
  }
  if (unsorted) state.keys.sort((a, b) => a - b);
  state.ended = parsed.ended;
  return state;
}

/** First index in ascending `keys` whose key is greater than `value` (or ≥ with `inclusive`). */
function bound(keys: number[], value: number, inclusive: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
    if (k < value || (!inclusive && k === value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether the listing names a segment strictly between keys `after` and `before`. */
export function listsBetween(listing: PlaylistListing | null, after: number, before: number): boolean {
  if (!listing || before <= after) return false;
  return bound(listing.keys, before, true) > bound(listing.keys, after, false);
}
