/**
 * The foundation end to end, on any set of stores: the real livekit-server-sdk talks HTTP to the
 * egress emulator, which writes LiveKit-format segments with ffmpeg; the manager captures clips
 * with real ffmpeg and keeps its state in the stores under test. Every frame carries its
 * wall-clock time (frame stamp), so the suite checks both the probed duration and that the
 * content comes from the requested wall-clock window.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type ClipStore,
  type CommunityConfigStore,
  type QuotaLedger,
  ReplayBufferManager,
  type ReplayConfigInput,
  type ReplayHooks,
  type SessionStore,
} from '@livekit-replay/core';
import { type ClipRecord, parsePlaylist, type ReplaySession } from '@livekit-replay/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EgressEmulator, startEgressEmulator } from '../emulator/index.js';
import { readFrameStamps } from '../frame-stamp.js';
import { uniqueId } from './helpers.js';
import { expectLiveSaveEndsAtPress, expectRangeSaveShows, timePress } from './save-window.js';

/** The stores one suite run hands to the manager. `close` runs once, after the suite. */
export interface ManagerCaptureStores {
  sessions: SessionStore;
  clips: ClipStore;
  quotas: QuotaLedger;
  communities: CommunityConfigStore;
  /** The host app's hooks for this run (e.g. `clipFileRecords` writing into the app's tables). */
  hooks?: ReplayHooks;
  close?: () => Promise<void>;
}

export interface ManagerCaptureSuiteOptions {
  /** Shown in the describe block, e.g. "prisma (postgresql)". */
  name: string;
  /** Builds fresh stores; called once, in the suite's beforeAll. */
  stores: () => Promise<ManagerCaptureStores>;
  /**
   * Save lengths (whole seconds) checked for duration and frame-exact content. Default
   * [10, 30, 60]; each costs one remux, so database runs may check fewer.
   */
  durations?: number[];
  /** Extra manager configuration (e.g. `{ maxCaptureSeconds: 120 }`), over the suite's own. */
  config?: Partial<ReplayConfigInput>;
}

const FPS = 10;
const FRAME_MS = 1000 / FPS;
/** Pre-filled history: long enough for a 60 s save and for the clamp test to clamp. */
const HISTORY_SECONDS = 80;
/** Longest duration the history leaves room for (with a segment or two of slack). */
const MAX_SUITE_DURATION = HISTORY_SECONDS - 10;

/**
 * Registers the manager's end-to-end capture suite on the given stores: saves of each duration
 * (±0.1 s, exact wall-clock window by frame stamps, ending at the press as measured by the
 * test's clock), a range save against the instants it asked for, clamping, INVALID_INPUT over the maximum,
 * SESSION_NOT_FOUND/FORBIDDEN, traversal ids, NO_SEGMENTS while warming up, ALREADY_ACTIVE,
 * EGRESS_UNAVAILABLE (503) leaving nothing behind, what the stores hold afterwards, and stop +
 * ENDLIST + a save during retention.
 *
 * Each run has its own temp dirs and its own emulator (closed afterwards) and unique user ids,
 * so runs may share a database. Runtime is about 25 s per run with three durations.
 */
export function runManagerCaptureSuite(options: ManagerCaptureSuiteOptions): void {
  const durations = options.durations ?? [10, 30, 60];
  if (
    durations.length === 0 ||
    !durations.every((s) => Number.isInteger(s) && s >= 1 && s <= MAX_SUITE_DURATION)
  ) {
    throw new Error(
      `runManagerCaptureSuite: durations must be whole seconds from 1 to ${MAX_SUITE_DURATION} ` +
        `(the emulator pre-fills ${HISTORY_SECONDS} s of history); got [${durations.join(', ')}]`,
    );
  }

  describe(`${options.name}: capture end to end (emulator + real SDK + real ffmpeg)`, () => {
    const user = uniqueId('user-e2e');
    const otherUser = uniqueId('someone-else');
    const warmupUser = uniqueId('user-warmup');
    const refusedUser = uniqueId('user-503');
    let root = '';
    let segmentsDir: string;
    let clipsDir: string;
    let stores: ManagerCaptureStores | undefined;
    let emulator: EgressEmulator | undefined;
    let manager: ReplayBufferManager;
    let session: ReplaySession;
    let warmupDir = '';
    /** Every clip the suite saved, to check what the stores hold. */
    const saved: ClipRecord[] = [];

    /** Saves through the public API; returns the stored record (storage key included). */
    async function save(durationSeconds: number): Promise<ClipRecord> {
      const dto = await manager.captureReplay({ sessionId: session.id, userId: user, durationSeconds });
      const clip = await stores!.clips.get(dto.id);
      expect(clip).not.toBeNull();
      expect(dto.requestedStart).toBe(clip!.requestedStart.toISOString());
      saved.push(clip!);
      return clip!;
    }

    beforeAll(async () => {
      root = await mkdtemp(path.join(os.tmpdir(), 'lkr-e2e-'));
      segmentsDir = path.join(root, 'segments');
      clipsDir = path.join(root, 'clips');
      stores = await options.stores();
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
          ...options.config,
        },
        stores: {
          sessions: stores.sessions,
          clips: stores.clips,
          quotas: stores.quotas,
          communities: stores.communities,
        },
        coordination: { rateLimiter: false },
        ...(stores.hooks ? { hooks: stores.hooks } : {}),
      });
      const started = await manager.startReplayBuffer({
        userId: user,
        roomName: 'room-e2e',
        videoTrackId: 'TR_video',
        audioTrackId: 'TR_audio',
      });
      session = (await stores.sessions.get(started.id))!;
      expect(session.egressId).toMatch(/^EG_/);
      // History is pre-filled faster than real time; wait until it is all on disk.
      await emulator.waitForSegments(session.egressId!, Math.floor(HISTORY_SECONDS / 2) - 1, {
        timeoutMs: 120_000,
      });
    }, 180_000);

    afterAll(async () => {
      // Each step runs even when an earlier one (or beforeAll) failed.
      try {
        // First: background media work (fragment caching) must stop writing under `root`.
        await manager?.close();
        await emulator?.close();
      } finally {
        try {
          await stores?.close?.();
        } finally {
          if (root) await rm(root, { recursive: true, force: true });
        }
      }
    });

    it.each(durations)(
      'a %i s save is within ±0.1 s and shows exactly the requested wall-clock window',
      async (seconds) => {
        const { result: clip, press } = await timePress(() => save(seconds));
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
        // The clip ends at the press (measured by this test's clock, not taken from the clip),
        // and its frames show exactly the requested window.
        expectLiveSaveEndsAtPress({
          press,
          requestedEndMs: clip.requestedEnd.getTime(),
          frameStampsMs: stamps,
          frameMs: FRAME_MS,
          durationMs: seconds * 1000,
        });
        expect(Math.abs(first - clip.requestedStart.getTime())).toBeLessThanOrEqual(FRAME_MS);
        expect(Math.abs(last + FRAME_MS - clip.requestedEnd.getTime())).toBeLessThanOrEqual(FRAME_MS);
        console.info(
          `[${options.name}: capture ${seconds} s] duration error ${(clip.durationSeconds - seconds).toFixed(3)} s, ` +
            `requested end ${clip.requestedEnd.getTime() - press.beforeMs} ms after the press, ` +
            `last frame end ${last + FRAME_MS - clip.requestedEnd.getTime()} ms from it`,
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

    it('streamReplay (download without saving): the last 5 s end at the press and show exactly that window', async () => {
      const { result, press } = await timePress(() =>
        manager.streamReplay({ sessionId: session.id, userId: user, durationSeconds: 5 }),
      );
      const file = path.join(root, `${uniqueId('download')}.mp4`);
      await pipeline(result.stream, createWriteStream(file));
      const stamps = await readFrameStamps(file, { referenceMs: Date.now() });
      expect(Math.abs(result.durationSeconds - 5)).toBeLessThanOrEqual(0.1);
      expectLiveSaveEndsAtPress({
        press,
        requestedEndMs: Date.parse(result.end),
        frameStampsMs: stamps,
        frameMs: FRAME_MS,
        durationMs: 5000,
      });
    }, 90_000);

    it('a range save shows exactly the frames stamped at the requested instants', async () => {
      // Instants this test picks inside the pre-filled history, off any segment boundary.
      const endMs = Date.now() - 20_000 - 130;
      const startMs = endMs - 7_300;
      const dto = await manager.captureReplay({
        sessionId: session.id,
        userId: user,
        startAt: startMs,
        endAt: endMs,
      });
      const clip = (await stores!.clips.get(dto.id))!;
      saved.push(clip);
      expect([clip.requestedStart.getTime(), clip.requestedEnd.getTime()]).toEqual([startMs, endMs]);
      expect([clip.metadata.clampedStart, clip.metadata.clampedEnd]).toEqual([false, false]);
      const stamps = await readFrameStamps(path.join(clipsDir, clip.storageKey), { referenceMs: Date.now() });
      expectRangeSaveShows({ startMs, endMs, frameStampsMs: stamps, frameMs: FRAME_MS });
    }, 90_000);

    it('leaves no temporary files behind', async () => {
      const clipFiles = await readdir(path.join(clipsDir, 'clips'));
      expect(clipFiles.every((name) => /^clip_[0-9a-f]{32}\.mp4$/.test(name))).toBe(true);
      expect(await readdir(path.join(clipsDir, '.work')).catch(() => [])).toEqual([]);
    });

    it('clamps a save longer than the buffer to the oldest moment and says so', async () => {
      const clip = await save(250);
      expect(clip.metadata.clampedStart).toBe(true);
      const status = await manager.getBufferStatus({ sessionId: session.id, userId: user });
      expect(clip.actualStart.getTime()).toBeLessThanOrEqual(Date.parse(status!.bufferStart!) + FRAME_MS);
      expect(clip.durationSeconds).toBeGreaterThan(HISTORY_SECONDS - 4);
      expect(clip.durationSeconds).toBeLessThan(250);
    }, 90_000);

    it('the stores hold every saved clip, the quota counts them, the session is live', async () => {
      expect(saved).toHaveLength(durations.length + 2);
      for (const clip of saved) {
        const stored = await stores!.clips.get(clip.id);
        expect(stored).toMatchObject({
          id: clip.id,
          ownerId: user,
          sessionId: session.id,
          sha256: clip.sha256,
          sizeBytes: clip.sizeBytes,
          storageKey: clip.storageKey,
          durationSeconds: clip.durationSeconds,
        });
        expect(stored!.requestedStart.getTime()).toBe(clip.requestedStart.getTime());
        expect(stored!.actualStart.getTime()).toBe(clip.actualStart.getTime());
      }
      const page = await manager.listClips({ userId: user, limit: 100 });
      expect(page.items.map((c) => c.id).sort()).toEqual(saved.map((c) => c.id).sort());
      const usage = await manager.getQuota({ userId: user });
      expect(usage.usedBytes).toBe(saved.reduce((sum, c) => sum + c.sizeBytes, 0));
      expect(usage.reservedBytes).toBe(0);
      // Live: `starting` until an egress_started webhook or reconciliation (neither runs here).
      const stored = await stores!.sessions.get(session.id);
      expect(stored).toMatchObject({ userId: user, egressId: session.egressId });
      expect(['starting', 'active']).toContain(stored!.status);
    });

    it('refuses a save longer than the configured maximum', async () => {
      await expect(
        manager.captureReplay({ sessionId: session.id, userId: user, durationSeconds: 301 }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    });

    it('answers SESSION_NOT_FOUND for an unknown session and FORBIDDEN for another user', async () => {
      await expect(
        manager.captureReplay({ sessionId: 'rs_0000', userId: user, durationSeconds: 10 }),
      ).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404 });
      await expect(
        manager.captureReplay({ sessionId: session.id, userId: otherUser, durationSeconds: 10 }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN', status: 403 });
      await expect(
        manager.stopReplayBuffer({ sessionId: session.id, userId: otherUser }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('rejects ids that could reach a path', async () => {
      await expect(
        manager.captureReplay({ sessionId: '../../etc', userId: user, durationSeconds: 10 }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    });

    it('answers NO_SEGMENTS while a new buffer is warming up', async () => {
      emulator!.setHistorySeconds(0, 'room-warmup');
      const fresh = await manager.startReplayBuffer({
        userId: warmupUser,
        roomName: 'room-warmup',
        videoTrackId: 'TR_v2',
      });
      warmupDir = (await stores!.sessions.get(fresh.id))!.segmentDir;
      const status = await manager.getBufferStatus({ userId: warmupUser });
      expect(status?.session.id).toBe(fresh.id);
      expect(status!.warmingUp).toBe(true);
      expect(status!.canCapture).toBe(false);
      await expect(
        manager.captureReplay({ sessionId: fresh.id, userId: warmupUser, durationSeconds: 10 }),
      ).rejects.toMatchObject({ code: 'NO_SEGMENTS' });
      await manager.stopReplayBuffer({ sessionId: fresh.id, userId: warmupUser });
    });

    it('refuses a second buffer for the same user with ALREADY_ACTIVE when asked not to replace', async () => {
      await expect(
        manager.startReplayBuffer({
          userId: user,
          roomName: 'room-e2e',
          videoTrackId: 'TR_video',
          replace: false,
        }),
      ).rejects.toMatchObject({ code: 'ALREADY_ACTIVE', status: 409, userMessage: expect.any(String) });
    });

    it('answers EGRESS_UNAVAILABLE (503) when LiveKit has no capacity, leaving nothing active', async () => {
      emulator!.faults.refuseStarts({ times: 1 });
      const error = await manager
        .startReplayBuffer({ userId: refusedUser, roomName: 'room-503', videoTrackId: 'TR_v3' })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'EGRESS_UNAVAILABLE', status: 503 });
      expect(await stores!.sessions.findLiveByUser(refusedUser)).toBeNull();
      // Only the two sessions started above have directories; the refused start left none.
      expect((await readdir(segmentsDir)).sort()).toEqual([session.segmentDir, warmupDir].sort());
    });

    it('stops: the egress ends, the playlist gets ENDLIST, and a save still works during retention', async () => {
      const stopped = await manager.stopReplayBuffer({ userId: user });
      expect(stopped).toMatchObject({ id: session.id, status: 'stopped' });
      expect(await stores!.sessions.get(session.id)).toMatchObject({ status: 'stopped', endReason: 'user' });
      expect(await stores!.sessions.findLiveByUser(user)).toBeNull();
      await emulator!.waitForEnd(session.egressId!);
      const playlist = await readFile(
        path.join(segmentsDir, session.segmentDir, session.playlistName),
        'utf8',
      );
      expect(playlist.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
      const clip = await save(5);
      expect(Math.abs(clip.durationSeconds - 5)).toBeLessThanOrEqual(0.1);
      expect(await stores!.clips.get(clip.id)).toMatchObject({ id: clip.id, sha256: clip.sha256 });
      // Stopping again is harmless.
      expect((await manager.stopReplayBuffer({ sessionId: session.id, userId: user })).status).toBe(
        'stopped',
      );
    }, 60_000);
  });
}
