import { mkdtemp, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SegmentNaming } from '../types.js';
import {
  formatLiveKitLivePlaylist,
  formatLiveKitPlaylist,
  type PlaylistItem,
} from './__fixtures__/livekit-playlist.js';
import { readSegmentIndex } from './segment-index.js';
import { formatIndexSegmentName, formatTimestampSegmentName } from './segment-names.js';
import type { SegmentProbe, SegmentProber } from './segment-probe.js';
import type { SegmentDirectoryLayout } from './types.js';

const T0 = Date.UTC(2026, 10, 21, 13, 0, 0, 0);
const DURATIONS = [2.033, 1.967, 2.033, 1.967, 2.0, 2.033, 1.967, 2.033, 1.967, 2.0, 2.033, 1.967];
/** Stream clock of segment 0's first frame (LiveKit's MPEG-TS does not start at 0). */
const PTS0 = 3.6;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'lkr-index-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function layout(naming: SegmentNaming = 'INDEX'): SegmentDirectoryLayout {
  return {
    dir,
    filenamePrefix: 'replay',
    playlistName: 'replay.m3u8',
    livePlaylistName: 'replay-live.m3u8',
    naming,
    segmentDurationSeconds: 2,
  };
}

/** The truth about each recorded segment: name, wall-clock start, duration, first PTS. */
function timeline(count: number, naming: SegmentNaming = 'INDEX', jumpAfter?: { index: number; ms: number }) {
  const items: (PlaylistItem & { pts: number })[] = [];
  let start = T0;
  let pts = PTS0;
  for (let i = 0; i < count; i++) {
    const durationSeconds = DURATIONS[i % DURATIONS.length]!;
    const name =
      naming === 'INDEX' ? formatIndexSegmentName('replay', i) : formatTimestampSegmentName('replay', start);
    items.push({ name, startMs: start, durationSeconds, pts });
    start += durationSeconds * 1000;
    pts += durationSeconds;
    if (jumpAfter && jumpAfter.index === i) {
      start += jumpAfter.ms;
      pts += jumpAfter.ms / 1000;
    }
  }
  return items;
}

/** A prober answering from the known timeline; counts calls so caching can be checked. */
function fakeProber(items: { name: string; durationSeconds: number; pts: number }[]) {
  const calls: string[] = [];
  const prober: SegmentProber = async (filePath) => {
    const name = path.basename(filePath);
    calls.push(name);
    const item = items.find((i) => i.name === name);
    if (!item) throw new Error(`no such segment ${name}`);
    const probe: SegmentProbe = {
      durationSeconds: item.durationSeconds,
      firstVideoPtsSeconds: item.pts,
      keyframePtsSeconds: [item.pts],
      framePtsSeconds: [item.pts],
      frameDurationSeconds: 1 / 15,
    };
    return probe;
  };
  return { prober, calls };
}

async function writeSegments(items: { name: string }[]) {
  for (const item of items) await writeFile(path.join(dir, item.name), Buffer.alloc(188 * 4, 0x47));
}

describe('readSegmentIndex', () => {
  it('merges a lagging playlist with the files; the newest unlisted file is in progress', async () => {
    const items = timeline(10);
    await writeSegments(items);
    // The playlist lists 0..5; files 6, 7, 8 are complete but unlisted; 9 is being written.
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items.slice(0, 6)));
    const { prober, calls } = fakeProber(items);
    const snap = await readSegmentIndex(layout(), { prober });

    expect(snap.segments.map((s) => s.name)).toEqual(items.slice(0, 9).map((i) => i.name));
    expect(snap.pending).toEqual(['replay_00009.ts']);
    expect(snap.segments.slice(0, 6).every((s) => s.timing === 'playlist')).toBe(true);
    expect(snap.segments.slice(6).every((s) => s.timing === 'probed')).toBe(true);
    for (const [i, s] of snap.segments.entries()) {
      expect(s.startMs).toBeCloseTo(items[i]!.startMs, 3);
      expect(s.durationSeconds).toBeCloseTo(items[i]!.durationSeconds, 6);
      expect(s.sequence).toBe(i);
      expect(s.path).toBe(path.join(dir, s.name));
    }
    expect(snap.gaps).toEqual([]);
    expect(snap.ended).toBe(false);
    expect(snap.startMs).toBe(T0);
    expect(snap.endMs).toBeCloseTo(items[8]!.startMs + items[8]!.durationSeconds * 1000, 3);
    // Only the unlisted complete files were probed.
    expect([...new Set(calls)].sort()).toEqual(['replay_00006.ts', 'replay_00007.ts', 'replay_00008.ts']);
  });

  it('uses the live playlist when it is newer than the main one', async () => {
    const items = timeline(9);
    await writeSegments(items);
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items.slice(0, 4)));
    await writeFile(path.join(dir, 'replay-live.m3u8'), formatLiveKitLivePlaylist(items.slice(0, 8)));
    const { prober, calls } = fakeProber(items);
    const snap = await readSegmentIndex(layout(), { prober });
    expect(snap.segments).toHaveLength(8);
    expect(snap.segments.every((s) => s.timing === 'playlist')).toBe(true);
    expect(snap.pending).toEqual(['replay_00008.ts']);
    expect(calls).toEqual([]);
  });

  it('skips a listed file deleted from disk and reports the hole as a gap', async () => {
    const items = timeline(6);
    await writeSegments(items);
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items));
    await unlink(path.join(dir, items[2]!.name));
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.segments.map((s) => s.sequence)).toEqual([0, 1, 3, 4, 5]);
    expect(snap.gaps).toHaveLength(1);
    expect(snap.gaps[0]!.startMs).toBeCloseTo(items[2]!.startMs, 3);
    expect(snap.gaps[0]!.durationSeconds).toBeCloseTo(items[2]!.durationSeconds, 3);
  });

  it('reports a jump in the timeline as a gap, and ENDLIST makes every listed file complete', async () => {
    const items = timeline(6, 'INDEX', { index: 2, ms: 5000 });
    await writeSegments(items);
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items, { ended: true }));
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.ended).toBe(true);
    expect(snap.segments).toHaveLength(6);
    expect(snap.pending).toEqual([]);
    expect(snap.gaps).toHaveLength(1);
    expect(snap.gaps[0]!.durationSeconds).toBeCloseTo(5, 3);
    expect(snap.gaps[0]!.startMs).toBeCloseTo(items[3]!.startMs - 5000, 3);
  });

  it('does not report sub-tolerance jitter between PROGRAM-DATE-TIMEs as a gap', async () => {
    const items = timeline(4);
    items[2]!.startMs += 40;
    await writeSegments(items);
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items, { ended: true }));
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.gaps).toEqual([]);
  });

  it('places an unlisted INDEX file after a hole by its PTS', async () => {
    const items = timeline(8);
    await writeSegments(items);
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items.slice(0, 4)));
    await unlink(path.join(dir, items[5]!.name)); // never written / already gone
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.segments.map((s) => s.sequence)).toEqual([0, 1, 2, 3, 4, 6]);
    expect(snap.segments.at(-1)!.startMs).toBeCloseTo(items[6]!.startMs, 3);
    expect(snap.gaps).toHaveLength(1);
    expect(snap.gaps[0]!.durationSeconds).toBeCloseTo(items[5]!.durationSeconds, 3);
    expect(snap.pending).toEqual(['replay_00007.ts']);
  });

  it('reads TIMESTAMP names: the start comes from the name when the playlist lags', async () => {
    const items = timeline(7, 'TIMESTAMP');
    await writeSegments(items);
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items.slice(0, 3)));
    const snap = await readSegmentIndex(layout('TIMESTAMP'), { prober: fakeProber(items).prober });
    expect(snap.segments.map((s) => s.name)).toEqual(items.slice(0, 6).map((i) => i.name));
    expect(snap.segments.map((s) => s.timing)).toEqual([
      'playlist',
      'playlist',
      'playlist',
      'filename',
      'filename',
      'filename',
    ]);
    expect(snap.segments.map((s) => s.sequence)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [i, s] of snap.segments.entries()) expect(s.startMs).toBe(Math.floor(items[i]!.startMs));
    expect(snap.pending).toEqual([items[6]!.name]);
  });

  it('works before the first playlist exists', async () => {
    const items = timeline(3);
    await writeSegments(items);
    // Segment 0 finished writing at its end time.
    const end0 = (items[0]!.startMs + items[0]!.durationSeconds * 1000) / 1000;
    await utimes(path.join(dir, items[0]!.name), end0, end0);
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.playlistFound).toBe(false);
    expect(snap.segments.map((s) => s.name)).toEqual([items[0]!.name, items[1]!.name]);
    expect(snap.segments[0]!.startMs).toBeCloseTo(T0, 0);
    expect(snap.segments[1]!.startMs).toBeCloseTo(items[1]!.startMs, 0);
    expect(snap.pending).toEqual([items[2]!.name]);
  });

  it('ignores files that are not segments of this layout and survives a missing directory', async () => {
    const items = timeline(3);
    await writeSegments(items);
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items, { ended: true }));
    for (const junk of ['segment-1763730000000.ts', 'replay_00003.ts.tmp', 'other_00001.ts', 'notes.txt']) {
      await writeFile(path.join(dir, junk), 'x');
    }
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.segments.map((s) => s.name)).toEqual(items.map((i) => i.name));

    const none = await readSegmentIndex({ ...layout(), dir: path.join(dir, 'nope') });
    expect(none).toMatchObject({ segments: [], gaps: [], startMs: null, endMs: null });
  });

  it('treats an empty listed file as not yet available', async () => {
    const items = timeline(4);
    await writeSegments(items);
    await writeFile(path.join(dir, items[3]!.name), '');
    await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(items));
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.segments).toHaveLength(3);
    expect(snap.pending).toEqual([items[3]!.name]);
  });

  it('ignores playlist entries whose URI is not a plain segment name', async () => {
    const items = timeline(2);
    await writeSegments(items);
    const text = formatLiveKitPlaylist(
      [...items, { name: '../../etc/passwd', startMs: T0 + 9000, durationSeconds: 2 }],
      {
        ended: true,
      },
    );
    await writeFile(path.join(dir, 'replay.m3u8'), text);
    const snap = await readSegmentIndex(layout(), { prober: fakeProber(items).prober });
    expect(snap.segments.map((s) => s.name)).toEqual(items.map((i) => i.name));
  });
});
