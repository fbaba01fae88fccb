import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { type ParsedPlaylist, PlaylistParser } from './playlist.js';
import { MAX_PLAYLIST_BYTES, openRegularFile, type RegularFileFacts, readAt } from './safe-files.js';

/**
 * Parsed playlists, cached per file and kept up to date incrementally. LiveKit's main playlist
 * only grows (entries appended) until it is rewritten, so a call reads just the bytes appended
 * since the previous one; an unchanged file (same inode, size and mtime) is not read at all. A
 * rewrite (new inode, a smaller file, or different bytes where the parsed part was) is parsed
 * again from the start.
 */

/** How many bytes at the start and at the end of the parsed part must still match. */
const CHECK_BYTES = 256;
/** Playlists kept parsed (two per live session). */
const CACHE_LIMIT = 256;

export interface CachedPlaylist {
  readonly parsed: ParsedPlaylist;
  readonly facts: RegularFileFacts;
  /**
   * Data derived from `parsed.entries` by a reader (the segment index keeps its name map here),
   * dropped with the parse when the file is rewritten.
   */
  readonly derived: Map<string, unknown>;
}

interface Entry extends CachedPlaylist {
  facts: RegularFileFacts;
  parser: PlaylistParser;
  /** Bytes parsed, up to the end of the last complete line. */
  consumed: number;
  /** The last read ended without a newline: that line was parsed as is, so grow by re-parsing. */
  unterminated: boolean;
  head: Buffer;
  tail: Buffer;
}

const cache = new Map<string, Entry>();

/** Counters for tests and benchmarks: how much playlist text was read and parsed. */
export const playlistReadStats = { bytesRead: 0, fullParses: 0, incrementalParses: 0 };

/** Forgets every cached playlist (tests; a process that remounted the segments root). */
export function clearPlaylistCache(): void {
  cache.clear();
}

function remember(key: string, entry: Entry): Entry {
  cache.delete(key);
  cache.set(key, entry);
  if (cache.size > CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return entry;
}

/** Index just past the last line ending in `bytes`, 0 when there is none. */
function completeLinesEnd(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const c = bytes[i];
    if (c === 0x0a || c === 0x0d) return i + 1;
  }
  return 0;
}

/**
 * The parsed playlist `dir/name` (a regular file, never a symlink or FIFO; STORAGE_ERROR
 * beyond `maxBytes`). fs errors such as ENOENT pass through.
 */
export async function readPlaylistCached(
  dir: string,
  name: string,
  maxBytes = MAX_PLAYLIST_BYTES,
): Promise<CachedPlaylist> {
  const key = path.join(dir, name);
  const { handle, facts } = await openRegularFile(dir, name);
  try {
    if (facts.size > maxBytes) {
      throw new ReplayBufferError(
        ReplayErrorCode.STORAGE_ERROR,
        `${name} is larger than ${maxBytes} bytes; refusing to read it`,
        { details: { reason: 'too_large', name } },
      );
    }
    const cached = cache.get(key);
    const sameFile = cached && cached.facts.ino === facts.ino && cached.facts.dev === facts.dev;
    if (sameFile && cached.facts.size === facts.size && cached.facts.mtimeMs === facts.mtimeMs) {
      return remember(key, cached);
    }
    if (sameFile && !cached.unterminated && facts.size >= cached.consumed) {
      const [head, tail] = await Promise.all([
        readAt(handle, 0, cached.head.length),
        readAt(handle, cached.consumed - cached.tail.length, cached.tail.length),
      ]);
      if (head.equals(cached.head) && tail.equals(cached.tail)) {
        const appended = await readAt(handle, cached.consumed, facts.size - cached.consumed);
        playlistReadStats.bytesRead += appended.length;
        playlistReadStats.incrementalParses++;
        const end = completeLinesEnd(appended);
        const parsedNow = appended.subarray(0, end);
        cached.parser.push(parsedNow.toString('utf8'));
        cached.consumed += end;
        // Both windows are kept over the parsed part: the head while the file is short, the tail always.
        if (cached.head.length < CHECK_BYTES) {
          cached.head = Buffer.concat([cached.head, parsedNow]).subarray(0, CHECK_BYTES);
        }
        cached.tail = Buffer.concat([cached.tail, parsedNow]).subarray(-CHECK_BYTES);
        // An unterminated last line waits for its newline (it is still being written).
        cached.facts = end === appended.length ? facts : { ...facts, size: cached.consumed, mtimeMs: -1 };
        return remember(key, cached);
      }
    }
    // First read, or the file was rewritten: parse it all.
    const bytes = await readAt(handle, 0, facts.size);
    playlistReadStats.bytesRead += bytes.length;
    playlistReadStats.fullParses++;
    const parser = new PlaylistParser();
    const end = completeLinesEnd(bytes);
    // A file whose last line has no newline (a finished playlist written that way) is parsed
    // whole; it is re-parsed from the start if it changes.
    const unterminated = end < bytes.length;
    parser.push(bytes.toString('utf8'));
    const consumed = unterminated ? bytes.length : end;
    return remember(key, {
      parsed: parser.result,
      parser,
      facts,
      consumed,
      unterminated,
      head: Buffer.from(bytes.subarray(0, Math.min(CHECK_BYTES, consumed))),
      tail: Buffer.from(bytes.subarray(consumed - Math.min(CHECK_BYTES, consumed), consumed)),
      derived: new Map(),
    });
  } finally {
    await handle.close();
  }
}
