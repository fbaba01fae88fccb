/**
 * Hardening issue, items 2 and 4 through the manager: a session directory holding symlinks,
 * FIFOs or implausible playlist values gives coded errors or safe results, never hangs, never
 * serves another user's media, and leaves other users unaffected.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReplayBufferError } from '../../errors.js';
import { newId } from '../../ids.js';
import { createMemoryStores } from '../../memory/index.js';
import { formatLiveKitPlaylist, type PlaylistItem } from '../../segments/__fixtures__/livekit-playlist.js';
import { formatIndexSegmentName } from '../../segments/segment-names.js';
import type { ReplayBufferManager } from '../replay-buffer-manager.js';
import { API_KEY, API_SECRET, recordingManager, seedSession, tempRoot } from './lifecycle-helpers.js';

let local: { root: string; cleanup: () => Promise<void> };
let manager: ReplayBufferManager;
let errors: Error[];
let segmentsDir: string;
const stores = createMemoryStores();

beforeAll(async () => {
  local = await tempRoot('lkr-untrusted-mgr-');
  segmentsDir = path.join(local.root, 'segments');
  ({ manager, errors } = await recordingManager({
    config: {
      livekit: { url: 'http://127.0.0.1:9', apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir,
      clipsDir: path.join(local.root, 'clips'),
    },
    stores,
    coordination: { rateLimiter: false },
  }));
});
afterAll(async () => {
  await manager.close();
  await local.cleanup();
});

const items = (count: number, t0 = Date.now() - 120_000): PlaylistItem[] =>
  Array.from({ length: count }, (_, i) => ({
    name: formatIndexSegmentName('replay', i),
    startMs: t0 + i * 2000,
    durationSeconds: 2,
  }));

/** A live session of `userId` whose directory holds `list` (fake segment bytes) and its playlist. */
async function sessionWith(userId: string, list: PlaylistItem[], playlist = formatLiveKitPlaylist(list)) {
  const id = newId('rs');
  await seedSession(stores.sessions, { id, userId, egressId: `EG_${id}`, active: true });
  const dir = path.join(segmentsDir, id);
  await mkdir(dir, { recursive: true });
  for (const item of list) await writeFile(path.join(dir, item.name), Buffer.alloc(188 * 40, 0x47));
  await writeFile(path.join(dir, 'replay.m3u8'), playlist);
  return { id, dir, userId };
}

async function coded(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isReplayBufferError(error)).toBe(true);
  return error as { code: string; message: string };
}

describe('untrusted segment directories through the manager', () => {
  it('a FIFO playlist: status, preview and the cleanup job all settle; other users are unaffected', async () => {
    const victim = await sessionWith('u-victim', items(5));
    const attacker = await sessionWith('u-fifo', items(4));
    await rm(path.join(attacker.dir, 'replay.m3u8'));
    execFileSync('mkfifo', [path.join(attacker.dir, 'replay.m3u8')]);
    execFileSync('mkfifo', [path.join(attacker.dir, 'replay-live.m3u8')]);

    // Four at once used to starve the libuv pool; each must settle now.
    const statuses = await Promise.all(
      [1, 2, 3, 4].map(() => manager.getBufferStatus({ sessionId: attacker.id, userId: attacker.userId })),
    );
    expect(statuses.every((s) => s !== null && s.bufferedSeconds < 10)).toBe(true);
    await manager.getPreview({ sessionId: attacker.id, userId: attacker.userId }).catch(() => undefined);
    const cleanup = await manager.cleanupOldSegments();
    expect(cleanup.skipped).toBe(false);
    const status = await manager.getBufferStatus({ sessionId: victim.id, userId: victim.userId });
    expect(status?.bufferedSeconds).toBe(10); // its 5 listed segments
  });

  it('a session directory symlinked to another user’s: a coded error without server paths; the victim is unaffected', async () => {
    const victim = await sessionWith('u-victim2', items(5));
    const id = newId('rs');
    await seedSession(stores.sessions, { id, userId: 'u-link', egressId: `EG_${id}`, active: true });
    await symlink(victim.dir, path.join(segmentsDir, id));
    for (const call of [
      manager.getBufferStatus({ sessionId: id, userId: 'u-link' }),
      manager.getPreview({ sessionId: id, userId: 'u-link' }),
      manager.openPreviewSegment({
        sessionId: id,
        userId: 'u-link',
        name: formatIndexSegmentName('replay', 1),
      }),
    ]) {
      const error = await coded(call);
      expect(error.code).toBe('STORAGE_ERROR');
      expect(error.message).not.toContain(local.root);
    }
    const preview = await manager.getPreview({ sessionId: victim.id, userId: victim.userId });
    expect(preview.segments).toHaveLength(5);
  });

  it('EXTINF 1e9 and a PROGRAM-DATE-TIME in 2099: sane status and preview, reported as a coded data error', async () => {
    const list = items(6);
    let text = formatLiveKitPlaylist(list);
    text = text.replace('#EXTINF:2.000,\nreplay_00002.ts', '#EXTINF:1000000000.000,\nreplay_00002.ts');
    text = text.replace(new Date(list[4]!.startMs).toISOString(), '2099-01-01T00:00:00.000Z');
    const before = errors.length;
    const session = await sessionWith('u-odd', list, text);
    const status = await manager.getBufferStatus({ sessionId: session.id, userId: session.userId });
    expect(status!.bufferedSeconds).toBeLessThanOrEqual(12);
    expect(Date.parse(status!.bufferEnd!)).toBeLessThanOrEqual(Date.now());
    const preview = await manager.getPreviewPlaylist({ sessionId: session.id, userId: session.userId });
    const target = Number(/#EXT-X-TARGETDURATION:(\S+)/.exec(preview.playlist)?.[1]);
    expect(target).toBeLessThanOrEqual(2);
    const reported = errors.slice(before).filter((e) => isReplayBufferError(e, 'MEDIA_ERROR'));
    expect(reported.map((e) => (e as { details?: { kind?: string } }).details?.kind).sort()).toEqual(
      expect.arrayContaining(['implausible_duration']),
    );
    expect(reported.every((e) => !e.message.includes(local.root))).toBe(true);
    // Nothing was written into the session directory.
    expect((await readdir(session.dir)).sort()).toEqual([...list.map((i) => i.name), 'replay.m3u8'].sort());
  });
});
