import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isReplayBufferError } from '../errors.js';
import { formatLiveKitPlaylist, type PlaylistItem } from './__fixtures__/livekit-playlist.js';
import { readSegmentIndex } from './segment-index.js';
import { formatIndexSegmentName } from './segment-names.js';
import type { SegmentProber } from './segment-probe.js';
import type { SegmentDirectoryLayout } from './types.js';

// Item 2 of the hardening issue: symlinks and special files in the shared segment directory.

const T0 = Date.now() - 60_000;
let root: string;
let victimDir: string;
let attackerDir: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-untrusted-'));
  victimDir = path.join(root, 'rs_victim');
  attackerDir = path.join(root, 'rs_attacker');
  await mkdir(victimDir);
  await mkdir(attackerDir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const layout = (dir: string): SegmentDirectoryLayout => ({
  dir,
  filenamePrefix: 'replay',
  playlistName: 'replay.m3u8',
  livePlaylistName: 'replay-live.m3u8',
  naming: 'INDEX',
  segmentDurationSeconds: 2,
});

const failingProber: SegmentProber = async () => {
  throw new Error('no probe expected');
};

function items(count: number): PlaylistItem[] {
  return Array.from({ length: count }, (_, i) => ({
    name: formatIndexSegmentName('replay', i),
    startMs: T0 + i * 2000,
    durationSeconds: 2,
  }));
}

async function record(dir: string, list: PlaylistItem[]) {
  for (const item of list) await writeFile(path.join(dir, item.name), Buffer.alloc(188 * 40, 0x47));
  await writeFile(path.join(dir, 'replay.m3u8'), formatLiveKitPlaylist(list));
}

describe('readSegmentIndex on an untrusted directory', () => {
  it('never uses a segment that is a symlink into another user’s directory', async () => {
    await record(victimDir, items(3));
    const mine = items(3);
    await record(attackerDir, mine.slice(0, 2));
    // Segment 2 of the attacker points at the victim's segment 2 (the playlist lists it).
    await symlink(path.join(victimDir, mine[2]!.name), path.join(attackerDir, mine[2]!.name));
    await writeFile(path.join(attackerDir, 'replay.m3u8'), formatLiveKitPlaylist(mine));
    const anomalies: string[] = [];
    const snap = await readSegmentIndex(layout(attackerDir), {
      prober: failingProber,
      onAnomaly: (a) => anomalies.push(`${a.kind}:${a.name}`),
    });
    expect(snap.segments.map((s) => s.name)).toEqual([mine[0]!.name, mine[1]!.name]);
    expect(snap.segments.every((s) => s.path.startsWith(attackerDir + path.sep))).toBe(true);
    expect(anomalies).toEqual([`unsafe_file:${mine[2]!.name}`]);
    // The victim is unaffected.
    expect((await readSegmentIndex(layout(victimDir), { prober: failingProber })).segments).toHaveLength(3);
  });

  it('refuses a session directory that is a symlink to another user’s directory (coded error)', async () => {
    await record(victimDir, items(3));
    const linked = path.join(root, 'rs_linked');
    await symlink(victimDir, linked);
    const error = await readSegmentIndex(layout(linked), { prober: failingProber }).catch((e) => e);
    expect(isReplayBufferError(error, 'STORAGE_ERROR')).toBe(true);
    expect(error.details).toMatchObject({ reason: 'symlink' });
    expect(error.message).not.toContain(root);
  });

  it('does not block on a playlist that is a FIFO, and still serves the segments', async () => {
    const list = items(4);
    for (const item of list) await writeFile(path.join(attackerDir, item.name), Buffer.alloc(188 * 40, 0x47));
    execFileSync('mkfifo', [path.join(attackerDir, 'replay.m3u8')]);
    execFileSync('mkfifo', [path.join(attackerDir, 'replay-live.m3u8')]);
    const anomalies: string[] = [];
    // Would hang forever if the FIFO were opened for a blocking read (no writer ever comes).
    const snap = await readSegmentIndex(layout(attackerDir), {
      prober: async (p) => ({
        durationSeconds: 2,
        firstVideoPtsSeconds: 10 + list.findIndex((i) => p.endsWith(i.name)) * 2,
        keyframePtsSeconds: [],
        framePtsSeconds: [],
        frameDurationSeconds: 1 / 30,
      }),
      onAnomaly: (a) => anomalies.push(`${a.kind}:${a.name}`),
    });
    expect(snap.playlistFound).toBe(false);
    // Without playlists: unlisted files, the newest in progress.
    expect(snap.segments.map((s) => s.name)).toEqual(list.slice(0, 3).map((i) => i.name));
    expect(anomalies.sort()).toEqual(['unsafe_file:replay-live.m3u8', 'unsafe_file:replay.m3u8']);
  });

  it('ignores a playlist symlinked to /dev/zero without reading it', async () => {
    await record(attackerDir, items(3));
    await rm(path.join(attackerDir, 'replay.m3u8'));
    await symlink('/dev/zero', path.join(attackerDir, 'replay.m3u8'));
    const before = process.memoryUsage().rss;
    const anomalies: string[] = [];
    const snap = await readSegmentIndex(layout(attackerDir), {
      prober: async () => ({
        durationSeconds: 2,
        firstVideoPtsSeconds: 10,
        keyframePtsSeconds: [],
        framePtsSeconds: [],
        frameDurationSeconds: 1 / 30,
      }),
      onAnomaly: (a) => anomalies.push(`${a.kind}:${a.name}`),
    });
    expect(anomalies).toEqual(['unsafe_file:replay.m3u8']);
    expect(snap.playlistFound).toBe(false);
    // Nothing close to the 0.7 GB a readFile of /dev/zero costs.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  });

  it('refuses a playlist larger than the cap instead of reading it into memory', async () => {
    const list = items(2);
    await record(attackerDir, list);
    // A valid playlist padded with comments to just over 32 MiB.
    await appendFile(path.join(attackerDir, 'replay.m3u8'), `#${'x'.repeat(32 * 1024 * 1024)}\n`);
    const anomalies: string[] = [];
    const snap = await readSegmentIndex(layout(attackerDir), {
      prober: async () => ({
        durationSeconds: 2,
        firstVideoPtsSeconds: 10,
        keyframePtsSeconds: [],
        framePtsSeconds: [],
        frameDurationSeconds: 1 / 30,
      }),
      onAnomaly: (a) => anomalies.push(`${a.kind}:${a.name}`),
    });
    expect(anomalies).toEqual(['unsafe_file:replay.m3u8']);
    expect(snap.playlistFound).toBe(false);
    // Nothing was created in the directory on the way.
    expect((await readdir(attackerDir)).sort()).toEqual([...list.map((i) => i.name), 'replay.m3u8'].sort());
  });
});
