import { describe, expect, it } from 'vitest';
import { parsePlaylist, parseProgramDateTime } from './playlist.js';

const T0 = Date.UTC(2026, 10, 21, 13, 30, 0, 0);

const LIVEKIT_MAIN = `#EXTM3U
#EXT-X-VERSION:4
#EXT-X-TARGETDURATION:3
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-ALLOW-CACHE:NO
#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:30:00.000Z
#EXTINF:2.033,
replay_00000.ts
#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:30:02.033Z
#EXTINF:1.967,
replay_00001.ts
#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:30:04.000Z
#EXTINF:2.000,
replay_00002.ts
`;

describe('parsePlaylist', () => {
  it('reads a LiveKit main playlist that is still growing', () => {
    const p = parsePlaylist(LIVEKIT_MAIN);
    expect(p.version).toBe(4);
    expect(p.playlistType).toBe('EVENT');
    expect(p.targetDurationSeconds).toBe(3);
    expect(p.ended).toBe(false);
    expect(p.entries.map((e) => [e.uri, e.durationSeconds, e.programDateTimeMs, e.sequence])).toEqual([
      ['replay_00000.ts', 2.033, T0, 0],
      ['replay_00001.ts', 1.967, T0 + 2033, 1],
      ['replay_00002.ts', 2, T0 + 4000, 2],
    ]);
    expect(p.entries.every((e) => !e.programDateTimeDerived)).toBe(true);
  });

  it('sees EXT-X-ENDLIST, ignores unknown tags and comments, and handles CRLF', () => {
    const text = `${LIVEKIT_MAIN.replace('#EXT-X-ALLOW-CACHE:NO', '#EXT-X-ALLOW-CACHE:NO\n# a comment\n#EXT-X-FOO:bar=1')}#EXT-X-ENDLIST\n`;
    const p = parsePlaylist(text.replaceAll('\n', '\r\n'));
    expect(p.ended).toBe(true);
    expect(p.entries).toHaveLength(3);
    expect(p.entries[2]?.uri).toBe('replay_00002.ts');
  });

  it('derives a missing PROGRAM-DATE-TIME from the previous one plus durations', () => {
    const text = LIVEKIT_MAIN.replace('#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:30:02.033Z\n', '').replace(
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:30:04.000Z\n',
      '',
    );
    const p = parsePlaylist(text);
    expect(p.entries[1]?.programDateTimeMs).toBe(T0 + 2033);
    expect(p.entries[1]?.programDateTimeDerived).toBe(true);
    expect(p.entries[2]?.programDateTimeMs).toBe(T0 + 4000);
  });

  it('leaves the start unknown when no PROGRAM-DATE-TIME came before', () => {
    const p = parsePlaylist('#EXTM3U\n#EXTINF:2.000,\nreplay_00000.ts\n');
    expect(p.entries[0]?.programDateTimeMs).toBeNull();
  });

  it('numbers live-playlist entries from MEDIA-SEQUENCE', () => {
    const live = LIVEKIT_MAIN.replace('#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-MEDIA-SEQUENCE:7');
    expect(parsePlaylist(live).entries.map((e) => e.sequence)).toEqual([7, 8, 9]);
  });

  it('ignores URI lines without EXTINF and an empty text', () => {
    expect(parsePlaylist('#EXTM3U\nstray.ts\n').entries).toEqual([]);
    expect(parsePlaylist('').entries).toEqual([]);
  });
});

describe('parseProgramDateTime', () => {
  it('accepts Z and numeric offsets, rejects junk', () => {
    expect(parseProgramDateTime('2026-11-21T13:30:00.123Z')).toBe(T0 + 123);
    expect(parseProgramDateTime('2026-11-21T14:30:00.123+01:00')).toBe(T0 + 123);
    expect(parseProgramDateTime('2026-11-21T14:30:00.123+0100')).toBe(T0 + 123);
    expect(parseProgramDateTime('2026-11-21')).toBeNull();
    expect(parseProgramDateTime('yesterday')).toBeNull();
  });
});
