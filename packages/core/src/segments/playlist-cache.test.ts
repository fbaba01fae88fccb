import { appendFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLiveKitPlaylist, type PlaylistItem } from './__fixtures__/livekit-playlist.js';
import { useTempSessionDir } from './__fixtures__/session-dir.js';
import { playlistReadStats } from './playlist-cache.js';
import { readSegmentIndex } from './segment-index.js';
import { formatIndexSegmentName } from './segment-names.js';
import type { SegmentProber } from './segment-probe.js';

// Item 9 of the hardening issue: a call costs what changed, not how long the playlist grew.

const ENTRIES = 100_000;
const ON_DISK = 300;
const T0 = Date.now() - (ENTRIES + 10) * 2000;
const session = useTempSessionDir('lkr-cache-');
const layout = session.layout;
const noProbe: SegmentProber = async () => {
  throw new Error('every segment is listed: no probe expected');
};
const item = (i: number): PlaylistItem => ({
  name: formatIndexSegmentName('replay', i),
  startMs: T0 + i * 2000,
  durationSeconds: 2,
});
const entryText = (i: number) =>
  `#EXT-X-PROGRAM-DATE-TIME:${new Date(item(i).startMs).toISOString()}\n#EXTINF:2.000,\n${item(i).name}\n`;
const segmentFile = (i: number) =>
  writeFile(path.join(session.dir, item(i).name), Buffer.alloc(188 * 40, 0x47));
const counters = () => ({ ...playlistReadStats });

describe('cached, incremental playlist reads', () => {
  it('reads a 100 000-entry playlist once, then only the bytes appended to it', async () => {
    const items = Array.from({ length: ENTRIES }, (_, i) => item(i));
    const playlist = path.join(session.dir, 'replay.m3u8');
    await writeFile(playlist, formatLiveKitPlaylist(items));
    // Retention keeps the last ON_DISK segments (+1 unlisted file in progress).
    for (let i = ENTRIES - ON_DISK; i <= ENTRIES; i++) await segmentFile(i);
    const size = (await stat(playlist)).size;

    let before = counters();
    const first = await readSegmentIndex(layout(), { prober: noProbe });
    expect(first.segments).toHaveLength(ON_DISK);
    expect(playlistReadStats.fullParses - before.fullParses).toBe(1);
    expect(playlistReadStats.bytesRead - before.bytesRead).toBe(size);

    // Unchanged: nothing is read.
    before = counters();
    const again = await readSegmentIndex(layout(), { prober: noProbe });
    expect(again.segments.map((s) => s.name)).toEqual(first.segments.map((s) => s.name));
    expect(playlistReadStats.bytesRead - before.bytesRead).toBe(0);

    // Two entries appended (the one in progress completed, one more started).
    const appended = entryText(ENTRIES) + entryText(ENTRIES + 1);
    await segmentFile(ENTRIES + 1);
    await segmentFile(ENTRIES + 2);
    await appendFile(playlist, appended);
    before = counters();
    const grown = await readSegmentIndex(layout(), { prober: noProbe });
    expect(playlistReadStats.bytesRead - before.bytesRead).toBe(Buffer.byteLength(appended));
    expect(playlistReadStats.fullParses - before.fullParses).toBe(0);
    expect(grown.segments.at(-1)?.name).toBe(item(ENTRIES + 1).name);
    expect(grown.segments).toHaveLength(ON_DISK + 2);
    expect(grown.pending).toEqual([item(ENTRIES + 2).name]);
  }, 60_000);

  it('detects a rewrite (shrunk, or same length with other bytes) and parses it again', async () => {
    const playlist = path.join(session.dir, 'replay.m3u8');
    for (let i = 0; i < 6; i++) await segmentFile(i);
    await writeFile(playlist, formatLiveKitPlaylist([0, 1, 2, 3, 4].map(item)));
    expect((await readSegmentIndex(layout(), { prober: noProbe })).segments).toHaveLength(5);

    // Rewritten shorter (e.g. a new egress reusing the name): parsed from the start.
    await writeFile(playlist, formatLiveKitPlaylist([0, 1].map(item)));
    let before = counters();
    const shrunk = await readSegmentIndex(layout(), {
      prober: async () => ({
        durationSeconds: 2,
        firstVideoPtsSeconds: 10,
        keyframePtsSeconds: [],
        framePtsSeconds: [],
        frameDurationSeconds: 1 / 30,
      }),
    });
    expect(playlistReadStats.fullParses - before.fullParses).toBe(1);
    expect(shrunk.segments.filter((s) => s.timing === 'playlist').map((s) => s.name)).toEqual(
      [0, 1].map((i) => item(i).name),
    );

    // Same length, different header (MEDIA-SEQUENCE moved, like the live playlist): re-parsed.
    const text = formatLiveKitPlaylist([0, 1].map(item)).replace('MEDIA-SEQUENCE:0', 'MEDIA-SEQUENCE:7');
    await writeFile(playlist, text);
    before = counters();
    await readSegmentIndex(layout(), { prober: noProbe }).catch(() => undefined);
    expect(playlistReadStats.fullParses - before.fullParses).toBe(1);
  });

  it('waits for the newline of an entry still being written', async () => {
    const playlist = path.join(session.dir, 'replay.m3u8');
    for (let i = 0; i < 4; i++) await segmentFile(i);
    await writeFile(playlist, formatLiveKitPlaylist([0, 1].map(item)));
    await readSegmentIndex(layout(), { prober: noProbe });
    // Half an entry: the URI line has no newline yet.
    const full = entryText(2);
    await appendFile(playlist, full.slice(0, -4));
    const prober: SegmentProber = async () => ({
      durationSeconds: 2,
      firstVideoPtsSeconds: 14,
      keyframePtsSeconds: [],
      framePtsSeconds: [],
      frameDurationSeconds: 1 / 30,
    });
    const half = await readSegmentIndex(layout(), { prober });
    expect(half.segments.find((s) => s.name === item(2).name)?.timing).toBe('probed');
    await appendFile(playlist, full.slice(-4));
    const whole = await readSegmentIndex(layout(), { prober: noProbe });
    expect(whole.segments.find((s) => s.name === item(2).name)?.timing).toBe('playlist');
  });
});
