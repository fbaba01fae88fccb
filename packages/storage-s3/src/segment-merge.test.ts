import {
  formatIndexSegmentName,
  formatTimestampSegmentName,
  parsePlaylist,
  type SegmentProbe,
  type SegmentSourceLayout,
} from '@livekit-replay/core/adapter';
import { describe, expect, it } from 'vitest';
import { type ListedObject, mergeSegmentIndex } from './segment-merge.js';

// Pure merge rules on hand-made playlists and listings; s3-segment-source.test.ts runs them
// over real egress uploads.

const T0 = Date.parse('2026-11-30T10:00:00Z');

function layout(naming: 'INDEX' | 'TIMESTAMP'): SegmentSourceLayout {
  return {
    dir: 'r',
    filenamePrefix: 'seg',
    playlistName: 'index.m3u8',
    livePlaylistName: 'live.m3u8',
    naming,
    segmentDurationSeconds: 2,
  };
}

function object(name: string, sizeBytes = 1000): ListedObject {
  return { name, key: `r/${name}`, sizeBytes, lastModifiedMs: T0 + 60_000 };
}

/** Stands in for the object prober: 2 s segments whose first PTS follows their index. */
function probeFor(names: string[]) {
  const probed: string[] = [];
  const probe = async (key: string): Promise<SegmentProbe> => {
    probed.push(key);
    const index = names.indexOf(key.slice(2));
    return {
      durationSeconds: 2,
      firstVideoPtsSeconds: 10 + index * 2,
      keyframePtsSeconds: [],
      framePtsSeconds: [],
      frameDurationSeconds: 0.04,
    };
  };
  return { probe, probed };
}

describe('mergeSegmentIndex', () => {
  it('reads PROGRAM-DATE-TIME with 0-3 fractional digits and places unlisted TIMESTAMP names relative to the playlist, not the host clock', async () => {
    const durations = [2.5, 2.25, 2.125, 2, 2, 2, 2];
    const starts = durations.map((_, i) => T0 + durations.slice(0, i).reduce((a, b) => a + b, 0) * 1000);
    // The egress host's clock is 2.5 s ahead and drifts 10 ms per segment.
    const names = starts.map((start, i) => formatTimestampSegmentName('seg', start + 2500 + 10 * i));
    const pdts = [
      '2026-11-30T10:00:00Z',
      '2026-11-30T10:00:02.5Z',
      '2026-11-30T10:00:04.75Z',
      '2026-11-30T10:00:06.875Z',
    ];
    const main = parsePlaylist(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:4',
        '#EXT-X-TARGETDURATION:2', // below the real 2.5 s EXTINF, as LiveKit writes it
        '#EXT-X-MEDIA-SEQUENCE:0',
        ...pdts.flatMap((pdt, i) => [
          `#EXT-X-PROGRAM-DATE-TIME:${pdt}`,
          `#EXTINF:${durations[i]?.toFixed(3)},`,
          names[i] as string,
        ]),
      ].join('\n'),
    );
    const { probe } = probeFor(names);
    const snapshot = await mergeSegmentIndex({
      layout: layout('TIMESTAMP'),
      main,
      live: null,
      objects: names.map((n) => object(n)),
      probe,
    });
    expect(snapshot.segments.map((s) => s.name)).toEqual(names.slice(0, 6));
    expect(snapshot.segments.map((s) => s.startMs)).toEqual(starts.slice(0, 6));
    expect(snapshot.segments.map((s) => s.timing)).toEqual([
      'playlist',
      'playlist',
      'playlist',
      'playlist',
      'filename',
      'filename',
    ]);
    expect(snapshot.gaps).toEqual([]);
    expect(snapshot.pending).toEqual([names[6]]); // newest and unlisted: maybe followed by a slower upload
  });

  it('merges main and live playlists with the listing: holes, empty objects and the newest unlisted segment', async () => {
    const names = Array.from({ length: 9 }, (_, i) => formatIndexSegmentName('seg', i));
    const entry = (i: number) => [
      `#EXT-X-PROGRAM-DATE-TIME:${new Date(T0 + i * 2000).toISOString()}`,
      '#EXTINF:2.000,',
      names[i] as string,
    ];
    const header = (sequence: number) => [
      '#EXTM3U',
      '#EXT-X-TARGETDURATION:2',
      `#EXT-X-MEDIA-SEQUENCE:${sequence}`,
    ];
    // The main playlist lags (0-2); the live one has 2-5; 4 was never uploaded (egress bug).
    const main = parsePlaylist([...header(0), ...[0, 1, 2].flatMap(entry)].join('\n'));
    const live = parsePlaylist([...header(2), ...[2, 3, 4, 5].flatMap(entry)].join('\n'));
    const objects = [0, 1, 2, 3, 5, 6, 8]
      .map((i) => object(names[i] as string))
      .concat(object(names[7] as string, 0));
    const { probe, probed } = probeFor(names);
    const snapshot = await mergeSegmentIndex({ layout: layout('INDEX'), main, live, objects, probe });
    expect(snapshot.segments.map((s) => s.name)).toEqual([0, 1, 2, 3, 5, 6].map((i) => names[i]));
    const six = snapshot.segments.at(-1);
    expect(six?.timing).toBe('probed');
    expect(six?.startMs).toBe(T0 + 12_000); // follows segment 5
    expect(probed).toEqual([`r/${names[6]}`]);
    expect(snapshot.gaps).toEqual([{ startMs: T0 + 8000, durationSeconds: 2 }]);
    expect(snapshot.pending).toEqual([names[7], names[8]]);
    expect(snapshot.ended).toBe(false);
    expect(snapshot.playlistFound).toBe(true);
  });

  it('after a hole, places an unlisted INDEX segment by its first PTS', async () => {
    const names = Array.from({ length: 5 }, (_, i) => formatIndexSegmentName('seg', i));
    const main = parsePlaylist(
      [
        '#EXTM3U',
        '#EXT-X-PROGRAM-DATE-TIME:2026-11-30T10:00:00.000Z',
        '#EXTINF:2.000,',
        names[0],
        '#EXT-X-ENDLIST',
      ].join('\n'),
    );
    const { probe } = probeFor(names);
    const snapshot = await mergeSegmentIndex({
      layout: layout('INDEX'),
      main,
      live: null,
      objects: [0, 3, 4].map((i) => object(names[i] as string)),
      probe,
    });
    expect(snapshot.segments.map((s) => [s.name, s.startMs])).toEqual([
      [names[0], T0],
      [names[3], T0 + 6000],
    ]);
    expect(snapshot.gaps).toEqual([{ startMs: T0 + 2000, durationSeconds: 4 }]);
    expect(snapshot.ended).toBe(true);
  });
});
