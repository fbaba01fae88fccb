/**
 * Segment retention on real files: the chokidar watcher trims live buffers as LiveKit-format
 * segments land (emulator + real SDK), the periodic sweep does the same without it, ended
 * sessions lose their directory after retention, and crash leftovers are swept after a grace
 * period unless their name is exactly a session's directory.
 */
import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EgressStatus } from '@livekit/protocol';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStores } from '../../memory/index.js';
import { readSegmentIndex } from '../../segments/segment-index.js';
import type { ReplaySession } from '../../types.js';
import type { ReplayBufferManager } from '../replay-buffer-manager.js';
import {
  API_KEY,
  API_SECRET,
  eventually,
  recordingManager,
  seedSession,
  startAndLoad,
  tempRoot,
} from './lifecycle-helpers.js';

const WINDOW_SECONDS = 3;

let root: { root: string; cleanup: () => Promise<void> };
let segmentsDir: string;
let emulator: EgressEmulator;

beforeAll(async () => {
  root = await tempRoot('lkr-segments-');
  segmentsDir = path.join(root.root, 'segments');
  emulator = await startEgressEmulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    segmentsRoot: segmentsDir,
    maxFrameRate: 5,
    maxHeight: 180,
  });
});

afterAll(async () => {
  await emulator?.close();
  await root?.cleanup();
});

async function windowManager() {
  const stores = createMemoryStores();
  const made = await recordingManager({
    config: {
      livekit: { url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir,
      clipsDir: path.join(root.root, 'clips'),
      segmentDurationSeconds: 1,
      bufferDurationSeconds: WINDOW_SECONDS,
      segmentGraceSeconds: 0,
      defaultQuality: '720p',
    },
    stores,
    coordination: { rateLimiter: false },
  });
  return { ...made, store: stores.sessions };
}

async function segmentFiles(session: ReplaySession): Promise<string[]> {
  return (await readdir(path.join(segmentsDir, session.segmentDir))).filter((f) => f.endsWith('.ts')).sort();
}

async function indexOf(manager: ReplayBufferManager, session: ReplaySession) {
  return readSegmentIndex({
    dir: path.join(segmentsDir, session.segmentDir),
    filenamePrefix: session.filenamePrefix,
    playlistName: session.playlistName,
    livePlaylistName: session.livePlaylistName,
    naming: session.segmentNaming,
    segmentDurationSeconds: session.segmentDurationSeconds,
  }).then((snapshot) => ({ snapshot, manager }));
}

describe('live buffers keep only their window', () => {
  it('the chokidar watcher trims a live session as each segment lands; playlists stay and the index skips deleted files', async () => {
    const { manager } = await windowManager();
    const trims: number[] = [];
    await manager.startScheduler({
      runOnStart: false,
      reconcileIntervalMs: 3_600_000,
      orphanIntervalMs: 3_600_000,
      segmentSweepIntervalMs: 3_600_000,
      watchSegments: { onTrim: (_id, result) => trims.push(result.segmentsDeleted) },
    });
    emulator.setHistorySeconds(20, 'room-watch');
    try {
      const session = await startAndLoad(manager, {
        userId: 'u-watch',
        roomName: 'room-watch',
        videoTrackId: 'TR_v',
      });
      const produced = await emulator.waitForSegments(session.egressId!, 23, { timeoutMs: 40_000 });
      expect(produced.length).toBeGreaterThanOrEqual(23);
      const kept = await eventually(
        async () => {
          const files = await segmentFiles(session);
          return files.length <= WINDOW_SECONDS + 3 ? files : undefined;
        },
        10_000,
        'the watcher to trim the directory to the window',
      );
      expect(kept.length).toBeGreaterThanOrEqual(WINDOW_SECONDS - 1);
      // A trim reports (onTrim) after its unlinks, so the count can trail the directory briefly.
      await eventually(
        () => trims.reduce((a, b) => a + b, 0) >= produced.length - kept.length - 1,
        10_000,
        'the trims to be reported',
      );
      const dir = path.join(segmentsDir, session.segmentDir);
      await stat(path.join(dir, session.playlistName));
      await stat(path.join(dir, session.livePlaylistName));
      // The playlist still lists the deleted segments; the index only returns what exists.
      const { snapshot } = await indexOf(manager, session);
      expect(snapshot.segments.length).toBeGreaterThan(0);
      expect(snapshot.segments.every((s) => kept.includes(s.name))).toBe(true);
      expect(snapshot.gaps).toEqual([]);
      expect(Date.now() - snapshot.startMs!).toBeLessThan((WINDOW_SECONDS + 4) * 1000);
    } finally {
      emulator.setHistorySeconds(undefined, 'room-watch');
      await manager.stopScheduler();
      for (const e of emulator.egresses()) {
        if (e.status === EgressStatus.EGRESS_ACTIVE || e.status === EgressStatus.EGRESS_STARTING) {
          await emulator.stopEgress(e.egressId);
        }
      }
    }
  });

  it('without the watcher, the periodic sweep (cleanupOldSegments) trims live sessions and counts what it freed', async () => {
    const { manager } = await windowManager();
    emulator.setHistorySeconds(12, 'room-sweep');
    try {
      const session = await startAndLoad(manager, {
        userId: 'u-sweep',
        roomName: 'room-sweep',
        videoTrackId: 'TR_v',
      });
      await emulator.waitForSegments(session.egressId!, 13, { timeoutMs: 40_000 });
      const before = await segmentFiles(session);
      const result = await manager.cleanupOldSegments();
      expect(result.skipped).toBe(false);
      expect(result.sessionsTrimmed).toBe(1);
      expect(result.segmentsDeleted).toBeGreaterThanOrEqual(before.length - (WINDOW_SECONDS + 3));
      expect(result.bytesFreed).toBeGreaterThan(0);
      const after = await segmentFiles(session);
      expect(after.length).toBe(before.length - result.segmentsDeleted);
      // The oldest files went; the newest stayed.
      expect(after.at(-1)).toBe(before.at(-1));
      expect(after).not.toContain(before[0]);
      await emulator.stopEgress(session.egressId!);
    } finally {
      emulator.setHistorySeconds(undefined, 'room-sweep');
    }
  });
});

describe('retention and crash leftovers', () => {
  it('deletes ended sessions past retention, keeps recent ones, sweeps only unreferenced directories past the grace period, and clears clip-side leftovers', async () => {
    const local = await tempRoot('lkr-retention-');
    try {
      const dirs = path.join(local.root, 'segments');
      const stores = createMemoryStores();
      const { manager } = await recordingManager({
        config: {
          livekit: { url: 'http://127.0.0.1:9', apiKey: API_KEY, apiSecret: API_SECRET },
          segmentsDir: dirs,
          clipsDir: path.join(local.root, 'clips'),
          retainAfterStopSeconds: 300,
          unreferencedDirGraceSeconds: 60,
        },
        stores,
        coordination: { rateLimiter: false },
      });
      const old = new Date(Date.now() - 600_000);
      const makeDir = async (name: string, ageMs: number) => {
        const dir = path.join(dirs, name);
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, 'replay_00000.ts');
        await writeFile(file, 'x');
        const at = new Date(Date.now() - ageMs);
        await utimes(file, at, at);
        await utimes(dir, at, at);
      };
      // Sessions: one ended long ago, one ended just now, one live with an old directory.
      await seedSession(stores.sessions, { id: 'rs_expired', userId: 'u1', egressId: 'EG_1', active: true });
      await stores.sessions.transition('rs_expired', ['active'], 'stopped', {
        endedAt: old,
        endReason: 'user',
      });
      await seedSession(stores.sessions, { id: 'rs_recent', userId: 'u2', egressId: 'EG_2', active: true });
      await stores.sessions.transition('rs_recent', ['active'], 'stopped', {
        endedAt: new Date(),
        endReason: 'user',
      });
      await seedSession(stores.sessions, {
        id: 'rs_livesession123',
        userId: 'u3',
        egressId: 'EG_3',
        active: true,
      });
      for (const name of ['rs_expired', 'rs_recent', 'rs_livesession123']) await makeDir(name, 600_000);
      // Leftovers: old, fresh, and one named like a prefix of a live session's id.
      await makeDir('crash_old', 600_000);
      await makeDir('crash_fresh', 5_000);
      await makeDir('rs_livesession', 600_000);
      await writeFile(path.join(dirs, 'not-a-directory.txt'), 'kept');

      // Clip-side leftovers: preview caches, a partial clip write, capture work dirs.
      const clips = path.join(local.root, 'clips');
      const makeAt = async (file: string, ageMs: number) => {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, 'x');
        const at = new Date(Date.now() - ageMs);
        await utimes(file, at, at);
        await utimes(path.dirname(file), at, at);
      };
      for (const name of ['rs_expired', 'rs_recent', 'rs_unknown']) {
        await makeAt(path.join(clips, '.preview', name, 'seg.ts'), 0);
      }
      await makeAt(path.join(clips, 'clips', '.partial-0a1b2c-clip_x.mp4'), 7_200_000);
      await makeAt(path.join(clips, 'clips', 'clip_done.mp4'), 7_200_000);
      await makeAt(path.join(clips, '.work', 'cap_old', 'list.txt'), 7_200_000);
      await makeAt(path.join(clips, '.work', 'cap_new', 'list.txt'), 0);

      const result = await manager.cleanupOldSegments();
      expect(result).toMatchObject({
        expiredSessionDirsDeleted: 1,
        unreferencedDirsDeleted: 2,
        previewCachesDeleted: 2,
        staleClipFilesDeleted: 2,
        errors: [],
      });
      expect(await readdir(path.join(clips, '.preview'))).toEqual(['rs_recent']);
      expect(await readdir(path.join(clips, 'clips'))).toEqual(['clip_done.mp4']);
      expect(await readdir(path.join(clips, '.work'))).toEqual(['cap_new']);
      expect((await readdir(dirs)).sort()).toEqual(
        ['crash_fresh', 'not-a-directory.txt', 'rs_livesession123', 'rs_recent'].sort(),
      );
      // Idempotent: a second pass finds nothing to do.
      expect(await manager.cleanupOldSegments()).toMatchObject({
        expiredSessionDirsDeleted: 0,
        unreferencedDirsDeleted: 0,
        segmentsDeleted: 0,
        previewCachesDeleted: 0,
        staleClipFilesDeleted: 0,
      });
    } finally {
      await local.cleanup();
    }
  });
});
