/**
 * Parser for the HLS media playlists LiveKit egress writes:
 *
 * ```
 * #EXTM3U
 * #EXT-X-VERSION:4
 * #EXT-X-TARGETDURATION:3
 * #EXT-X-MEDIA-SEQUENCE:0
 * #EXT-X-PLAYLIST-TYPE:EVENT
 * #EXT-X-ALLOW-CACHE:NO
 * #EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:30:00.000Z
 * #EXTINF:2.033,
 * replay_00000.ts
 * …
 * #EXT-X-ENDLIST        (only once the egress stopped)
 * ```
 *
 * The live playlist is the same format with a sliding window (MEDIA-SEQUENCE moves on).
 * Tolerant: CRLF, blank lines, unknown tags, a missing PROGRAM-DATE-TIME on some entries
 * (derived from the previous one plus durations).
 */

export interface PlaylistEntry {
  /** URI line as written (LiveKit writes bare file names). */
  uri: string;
  /** EXTINF duration, seconds. */
  durationSeconds: number;
  /** Start of the segment, epoch ms; null when no PROGRAM-DATE-TIME precedes it at all. */
  programDateTimeMs: number | null;
  /** True when the start was derived from an earlier PROGRAM-DATE-TIME plus durations. */
  programDateTimeDerived: boolean;
  /** Media sequence number of this entry (MEDIA-SEQUENCE + position). */
  sequence: number;
  /** An EXT-X-DISCONTINUITY preceded this entry. */
  discontinuity: boolean;
}

export interface ParsedPlaylist {
  version: number | null;
  targetDurationSeconds: number | null;
  mediaSequence: number;
  playlistType: string | null;
  /** `#EXT-X-ENDLIST` present: the egress stopped and the list is final. */
  ended: boolean;
  entries: PlaylistEntry[];
}

/** Parses an ISO-8601 date-time with an offset (`Z`, `+00:00`, `+0000`) to epoch ms. */
export function parseProgramDateTime(value: string): number | null {
  const text = value.trim();
  // Require a full date, a time and a zone: Date.parse alone accepts too much.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return null;
  const normalised = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(normalised);
  return Number.isFinite(ms) ? ms : null;
}

export function parsePlaylist(text: string): ParsedPlaylist {
  const parser = new PlaylistParser();
  parser.push(text);
  return parser.result;
}

/**
 * Parses a playlist piece by piece: `push` whole lines as they are appended (LiveKit's main
 * playlist only grows until it is rewritten), read `result` at any time. A trailing line
 * without its newline is kept back until the next push completes it.
 */
export class PlaylistParser {
  readonly result: ParsedPlaylist = {
    version: null,
    targetDurationSeconds: null,
    mediaSequence: 0,
    playlistType: null,
    ended: false,
    entries: [],
  };
  private pendingDuration: number | null = null;
  private pendingPdt: number | null = null;
  private pendingDiscontinuity = false;
  // Where the next segment starts if it has no PROGRAM-DATE-TIME of its own.
  private nextDerivedStart: number | null = null;
  private first = true;

  /** Parses `text` (complete lines; an unterminated last line is parsed too). */
  push(text: string): void {
    const body = this.first ? text.replace(/^\uFEFF/, '') : text;
    this.first = false;
    for (const raw of body.split(/\r\n|\r|\n/)) this.line(raw.trim());
  }

  private line(line: string): void {
    if (line === '') return;
    const result = this.result;
    if (line.startsWith('#')) {
      const colon = line.indexOf(':');
      const tag = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1);
      switch (tag) {
        case '#EXT-X-VERSION': {
          const n = Number.parseInt(value, 10);
          result.version = Number.isFinite(n) ? n : null;
          break;
        }
        case '#EXT-X-TARGETDURATION': {
          const n = Number.parseFloat(value);
          result.targetDurationSeconds = Number.isFinite(n) ? n : null;
          break;
        }
        case '#EXT-X-MEDIA-SEQUENCE': {
          const n = Number.parseInt(value, 10);
          if (Number.isFinite(n) && n >= 0 && n !== result.mediaSequence) {
            result.mediaSequence = n;
            // MEDIA-SEQUENCE may come after entries in odd writers; keep sequence numbers consistent.
            result.entries.forEach((entry, i) => {
              entry.sequence = n + i;
            });
          }
          break;
        }
        case '#EXT-X-PLAYLIST-TYPE':
          result.playlistType = value.trim() || null;
          break;
        case '#EXT-X-ENDLIST':
          result.ended = true;
          break;
        case '#EXT-X-PROGRAM-DATE-TIME':
          this.pendingPdt = parseProgramDateTime(value);
          break;
        case '#EXT-X-DISCONTINUITY':
          this.pendingDiscontinuity = true;
          // Time does not carry across a discontinuity without a new PROGRAM-DATE-TIME.
          this.nextDerivedStart = null;
          break;
        case '#EXTINF': {
          const n = Number.parseFloat(value.split(',')[0] ?? '');
          this.pendingDuration = Number.isFinite(n) && n >= 0 ? n : null;
          break;
        }
        default:
          // Unknown tags and comments are ignored.
          break;
      }
      return;
    }

    // A URI line. Without a preceding EXTINF it is not a media segment entry.
    if (this.pendingDuration === null) {
      this.pendingPdt = null;
      return;
    }
    const derived = this.pendingPdt === null && this.nextDerivedStart !== null;
    const start: number | null = this.pendingPdt ?? this.nextDerivedStart;
    result.entries.push({
      uri: line,
      durationSeconds: this.pendingDuration,
      programDateTimeMs: start,
      programDateTimeDerived: derived,
      sequence: result.mediaSequence + result.entries.length,
      discontinuity: this.pendingDiscontinuity,
    });
    this.nextDerivedStart = start === null ? null : start + this.pendingDuration * 1000;
    this.pendingDuration = null;
    this.pendingPdt = null;
    this.pendingDiscontinuity = false;
  }
}
