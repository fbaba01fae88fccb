/**
 * The foundation end to end: the real livekit-server-sdk talks HTTP to the egress emulator,
 * which writes LiveKit-format segments with ffmpeg; the manager captures clips with real
 * ffmpeg. Every frame carries its wall-clock time (frame stamp), so the test checks both the
 * probed duration and that the content comes from the requested wall-clock window.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type EgressEmulator, readFrameStamps, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePlaylist } from '../../segments/playlist.js';
import type { ReplaySession } from '../../types.js';
import { ReplayBufferManager } from '../replay-buffer-manager.js';

const FPS = 10;
const FRAME_MS = 1000 / FPS;
const HISTORY_SECONDS = 80;
const USER = 'user-e2e';

describe('capture end to end (emulator + real SDK + real ffmpeg)', () => {
  let root: string;
  let segmentsDir: string;
  let clipsDir: string;
  let emulator: EgressEmulator;
  let manager: ReplayBufferManager;
  let session: ReplaySession;
  let warmupDir = '';

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lkr-e2e-'));
    segmentsDir = path.join(root, 'segments');
    clipsDir = path.join(root, 'clips');
    emulator = await startEgressEmulator({
      segmentsRoot: segmentsDir,
      historySeconds: HISTORY_SECONDS,
      maxFrameRate: FPS,
    });
    manager = new ReplayBufferManager({
      config: {
        livekit: { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret },
        segmentsDir,
        clipsDir,
        defaultQuality: '720p',
        maxCaptureSeconds: 300,
      },
      captureRateLimits: false,
    });
    session = await manager.startReplayBuffer({
      userId: USER,
      roomName: 'room-e2e',
      videoTrackId: 'TR_video',
      audioTrackId: 'TR_audio',
    });
    expect(session.egressId).toMatch(/^EG_/);
    // History is pre-filled faster than real time; wait until it is all on disk.
    await emulator.waitForSegments(session.egressId!, Math.floor(HISTORY_SECONDS / 2) - 1, {
      timeoutMs: 90_000,
    });
  }, 120_000);

  afterAll(async () => {
    await emulator?.close();
    await rm(root, { recursive: true, force: true });
  });

  it.each([10, 30, 60])(
    'a %i s save is within ±0.1 s and shows exactly the requested wall-clock window',
    async (seconds) => {
      const started = performance.now();
      const clip = await manager.captureReplay({
        sessionId: session.id,
        userId: USER,
        durationSeconds: seconds,
      });
      const tookMs = performance.now() - started;
      expect(Math.abs(clip.durationSeconds - seconds)).toBeLessThanOrEqual(0.1);
      expect(clip.requestedEnd.getTime() - clip.requestedStart.getTime()).toBe(seconds * 1000);
      expect(clip.metadata.clampedStart).toBe(false);
      expect(clip.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(clip.mimeType).toBe('video/mp4');
      expect([clip.width, clip.height]).toEqual([1280, 720]);

      const clipPath = path.join(clipsDir, clip.storageKey);
      const stamps = await readFrameStamps(clipPath, { referenceMs: Date.now() });
      const first = stamps[0]!;
      const last = stamps.at(-1)!;
      // First frame at the requested start, last frame one frame before the requested end.
      expect(Math.abs(first - clip.requestedStart.getTime())).toBeLessThanOrEqual(FRAME_MS);
      expect(Math.abs(last + FRAME_MS - clip.requestedEnd.getTime())).toBeLessThanOrEqual(FRAME_MS);
      console.info(
        `[capture ${seconds} s] duration error ${(clip.durationSeconds - seconds).toFixed(3)} s, ` +
          `first frame ${first - clip.requestedStart.getTime()} ms, last frame end ${last + FRAME_MS - clip.requestedEnd.getTime()} ms, ` +
          `save took ${Math.round(tookMs)} ms (incl. waiting for the segment in progress)`,
      );
      // No frame missing or repeated.
      for (let i = 1; i < stamps.length; i++) {
        expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThan(0);
        expect(stamps[i]! - stamps[i - 1]!).toBeLessThanOrEqual(FRAME_MS + 1);
      }

      // The playlists' program date-times agree with the content: each segment that starts
      // inside the clip starts at the frame whose stamp is its PROGRAM-DATE-TIME.
      const playlist = parsePlaylist(
        await readFile(path.join(segmentsDir, session.segmentDir, session.playlistName), 'utf8'),
      );
      const stampSet = new Set(stamps);
      const inside = playlist.entries.filter(
        (entry) =>
          entry.programDateTimeMs !== null &&
          entry.programDateTimeMs > first &&
          entry.programDateTimeMs < last,
      );
      expect(inside.length).toBeGreaterThanOrEqual(Math.floor(seconds / 2) - 2);
      for (const entry of inside) {
        const nearest = stamps.reduce((best, s) =>
          Math.abs(s - entry.programDateTimeMs!) < Math.abs(best - entry.programDateTimeMs!) ? s : best,
        );
        expect(Math.abs(nearest - entry.programDateTimeMs!)).toBeLessThanOrEqual(1);
      }
      expect(stampSet.size).toBe(stamps.length);
    },
    90_000,
  );

  it('leaves no temporary files behind', async () => {
    const clipFiles = await readdir(path.join(clipsDir, 'clips'));
    expect(clipFiles.every((name) => /^clip_[0-9a-f]{32}\.mp4$/.test(name))).toBe(true);
    expect(await readdir(path.join(clipsDir, '.work')).catch(() => [])).toEqual([]);
  });

  it('clamps a save longer than the buffer to the oldest moment and says so', async () => {
    const clip = await manager.captureReplay({ sessionId: session.id, userId: USER, durationSeconds: 250 });
    expect(clip.metadata.clampedStart).toBe(true);
    const status = await manager.getBufferStatus({ sessionId: session.id, userId: USER });
    expect(clip.actualStart.getTime()).toBeLessThanOrEqual(status.bufferStartMs! + FRAME_MS);
    expect(clip.durationSeconds).toBeGreaterThan(HISTORY_SECONDS - 4);
    expect(clip.durationSeconds).toBeLessThan(250);
  }, 90_000);

  it('refuses a save longer than the configured maximum', async () => {
    await expect(
      manager.captureReplay({ sessionId: session.id, userId: USER, durationSeconds: 301 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('answers SESSION_NOT_FOUND for an unknown session and FORBIDDEN for another user', async () => {
    await expect(
      manager.captureReplay({ sessionId: 'rs_0000', userId: USER, durationSeconds: 10 }),
    ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404 });
    await expect(
      manager.captureReplay({ sessionId: session.id, userId: 'someone-else', durationSeconds: 10 }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 });
    await expect(
      manager.stopReplayBuffer({ sessionId: session.id, userId: 'someone-else' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('rejects ids that could reach a path', async () => {
    await expect(
      manager.captureReplay({ sessionId: '../../etc', userId: USER, durationSeconds: 10 }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('answers NO_SEGMENTS while a new buffer is warming up', async () => {
    emulator.setHistorySeconds(0, 'room-warmup');
    const fresh = await manager.startReplayBuffer({
      userId: 'user-warmup',
      roomName: 'room-warmup',
      videoTrackId: 'TR_v2',
    });
    warmupDir = fresh.segmentDir;
    const status = await manager.getBufferStatus({ sessionId: fresh.id, userId: 'user-warmup' });
    expect(status.warmingUp).toBe(true);
    expect(status.canCapture).toBe(false);
    await expect(
      manager.captureReplay({ sessionId: fresh.id, userId: 'user-warmup', durationSeconds: 10 }),
    ).rejects.toMatchObject({ code: 'NO_SEGMENTS' });
    await manager.stopReplayBuffer({ sessionId: fresh.id, userId: 'user-warmup' });
  });

  it('refuses a second buffer for the same user with ALREADY_ACTIVE', async () => {
    await expect(
      manager.startReplayBuffer({ userId: USER, roomName: 'room-e2e', videoTrackId: 'TR_video' }),
    ).rejects.toMatchObject({ code: 'ALREADY_ACTIVE', status: 409 });
  });

  it('answers EGRESS_UNAVAILABLE (503) when LiveKit has no capacity, leaving nothing active', async () => {
    emulator.faults.refuseStarts({ times: 1 });
    const error = await manager
      .startReplayBuffer({ userId: 'user-503', roomName: 'room-503', videoTrackId: 'TR_v3' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EGRESS_UNAVAILABLE', status: 503 });
    expect(await manager.getActiveSession('user-503')).toBeNull();
    // Only the two sessions started above have directories; the refused start left none.
    expect((await readdir(segmentsDir)).sort()).toEqual([session.segmentDir, warmupDir].sort());
  });

  it('stops: the egress ends, the playlist gets ENDLIST, and a save still works during retention', async () => {
    const stopped = await manager.stopReplayBuffer({ sessionId: session.id, userId: USER });
    expect(stopped.status).toBe('stopped');
    expect(stopped.endReason).toBe('user');
    await emulator.waitForEnd(session.egressId!);
    const playlist = await readFile(path.join(segmentsDir, session.segmentDir, session.playlistName), 'utf8');
    expect(playlist.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
    const clip = await manager.captureReplay({ sessionId: session.id, userId: USER, durationSeconds: 5 });
    expect(Math.abs(clip.durationSeconds - 5)).toBeLessThanOrEqual(0.1);
    // Stopping again is harmless.
    expect((await manager.stopReplayBuffer({ sessionId: session.id, userId: USER })).status).toBe('stopped');
  }, 60_000);
});
