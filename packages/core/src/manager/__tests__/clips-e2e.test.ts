/**
 * Clip capabilities end to end, on segments written by the LiveKit egress emulator (through
 * the real livekit-server-sdk) and cut by the real ffmpeg pipeline: trim accuracy in both
 * modes (frame stamps), A/V sync after a smart cut (beep vs flash), posters, clamping and
 * refusals, the clip library's access rules, byte ranges, delete + quota, sharing, the trim
 * preview (playlist, remuxed segments, traversal) and timeline thumbnails, and the smart-cut
 * cost against a plain stream copy.
 *
 * CPU: one 1280×720 egress at 10 fps with its history pre-filled, stopped as soon as the
 * history is on disk (the buffer stays capturable during retention); short ranges.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { text } from 'node:stream/consumers';
import {
  decodeStampStrip,
  type EgressEmulator,
  readFrameStamps,
  STAMP_HEIGHT,
  STAMP_WIDTH,
  startEgressEmulator,
  unwrapStamp,
} from '@livekit-replay/testing';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationBytes } from '../../capture/range.js';
import type { ReplayNotification } from '../../events.js';
import { toFileRecord } from '../../library/file-record.js';
import { FfmpegMediaPipeline } from '../../media/index.js';
import { createMemoryStores, MemoryClipStore } from '../../memory/index.js';
import type { ClipShareRequest, ClipSharer } from '../../ports/clip-sharer.js';
import type { CutRequest, MediaPipeline } from '../../ports/media-pipeline.js';
import { previewTimeToWallClock } from '../../preview/playlist.js';
import type { AuthorizeContext, ManagerContext } from '../../runtime/context.js';
import { sweepPreviewCaches } from '../../runtime/preview-cache.js';
import { parsePlaylist } from '../../segments/playlist.js';
import { readSegmentIndex } from '../../segments/segment-index.js';
import { selectSegments } from '../../segments/select.js';
import type { SegmentIndexSnapshot } from '../../segments/types.js';
import type { ClipRecord, ReplaySession } from '../../types.js';
import { ReplayBufferManager } from '../replay-buffer-manager.js';
import { ffmpeg, ffprobeJson, measureAvSync, median, servePreview } from './clips-helpers.js';

const FPS = 10;
const FRAME_MS = 1000 / FPS;
const HISTORY_SECONDS = 40;
const OWNER = 'owner-1';
const OTHER = 'viewer-2';
const BLOCKED = 'blocked-3';

/** The real pipeline, counting cuts (to prove refusals happen before any ffmpeg work). */
class CountingPipeline implements MediaPipeline {
  cuts = 0;
  constructor(private readonly inner: MediaPipeline) {}
  cut(request: CutRequest) {
    this.cuts++;
    return this.inner.cut(request);
  }
  probe(file: string) {
    return this.inner.probe(file);
  }
  poster(input: string, output: string, at: number, width?: number) {
    return this.inner.poster(input, output, at, width);
  }
}

class RecordingSharer implements ClipSharer {
  readonly requests: ClipShareRequest[] = [];
  async share(request: ClipShareRequest) {
    if (request.message === 'fail') throw new Error('chat is down');
    this.requests.push(request);
    return { messageId: `msg_${this.requests.length}` };
  }
}

describe('clips end to end (emulator segments + real ffmpeg)', () => {
  let root: string;
  let segmentsDir: string;
  let clipsDir: string;
  let emulator: EgressEmulator;
  let manager: ReplayBufferManager;
  let session: ReplaySession;
  let snapshot: SegmentIndexSnapshot;
  const media = new CountingPipeline(new FfmpegMediaPipeline());
  const sharer = new RecordingSharer();
  const authorizeCalls: AuthorizeContext[] = [];
  const notifications: ReplayNotification[] = [];
  const figures: Record<string, unknown> = {};
  const stores = createMemoryStores();

  const clipPath = (clip: ClipRecord) => path.join(clipsDir, clip.storageKey);
  /** Saves through the public API; the stored record (storage key, Date instants) for the checks. */
  const capture = async (input: Parameters<ReplayBufferManager['captureReplay']>[0]): Promise<ClipRecord> => {
    const dto = await manager.captureReplay(input);
    const record = (await stores.clips.get(dto.id))!;
    expect(dto).toMatchObject({
      id: record.id,
      sha256: record.sha256,
      actualStart: record.actualStart.toISOString(),
    });
    return record;
  };
  const bufferStart = () => snapshot.startMs!;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lkr-clips-'));
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
        maxCaptureSeconds: 120,
        maxConcurrentCaptures: 4,
      },
      stores,
      media,
      coordination: { rateLimiter: false },
      hooks: {
        clipSharer: sharer,
        previewUrl: ({ sessionId, name, kind }) => `/api/replay/${sessionId}/preview/${kind}/${name}`,
        authorize: (context) => {
          authorizeCalls.push(context);
          return !(context.userId === BLOCKED && context.action === 'view_clip');
        },
      },
    });
    await manager.subscribe((n) => {
      notifications.push(n);
    });
    const started = await manager.startReplayBuffer({
      userId: OWNER,
      roomName: 'room-clips',
      videoTrackId: 'TR_video',
      audioTrackId: 'TR_audio',
      channelId: 'chan-1',
    });
    session = (await stores.sessions.get(started.id))!;
    await emulator.waitForSegments(session.egressId!, Math.floor(HISTORY_SECONDS / 2) - 1, {
      timeoutMs: 90_000,
    });
    // The history is enough: stop encoding (CPU) and keep the buffer capturable (retention).
    await manager.stopReplayBuffer({ sessionId: session.id, userId: OWNER });
    session = (await stores.sessions.get(session.id))!;
    await emulator.waitForEnd(session.egressId!);
    snapshot = await readSegmentIndex({
      dir: path.join(segmentsDir, session.segmentDir),
      filenamePrefix: session.filenamePrefix,
      playlistName: session.playlistName,
      livePlaylistName: session.livePlaylistName,
      naming: session.segmentNaming,
      segmentDurationSeconds: session.segmentDurationSeconds,
    });
    expect(snapshot.segments.length).toBeGreaterThanOrEqual(HISTORY_SECONDS / 2 - 1);
  }, 150_000);

  afterAll(async () => {
    // Measured figures for the report (no timed assertions).
    console.log(`[clips figures] ${JSON.stringify(figures)}`);
    await emulator?.close();
    if (process.env.LKR_KEEP_TEST_DIR) console.log(`[clips kept] ${root}`);
    else await rm(root, { recursive: true, force: true });
  });

  describe('range capture', () => {
    let accurate: ClipRecord;
    let fast: ClipRecord;
    // Mid-GOP bounds that are not on frame boundaries.
    const range = () => ({ startMs: bufferStart() + 10_337, endMs: bufferStart() + 16_591 });

    it('accurate mode: the first and last frames are within one frame of the request', async () => {
      const { startMs, endMs } = range();
      const before = notifications.length;
      accurate = await capture({
        sessionId: session.id,
        userId: OWNER,
        startAt: new Date(startMs),
        endAt: new Date(endMs).toISOString(),
        title: 'Accurate',
      });
      expect(accurate.metadata.cutMode).toBe('accurate');
      expect(accurate.metadata.clampedStart).toBe(false);
      expect(accurate.metadata.clampedEnd).toBe(false);
      const stamps = await readFrameStamps(clipPath(accurate), { referenceMs: startMs });
      const startError = stamps[0]! - startMs;
      const endError = stamps.at(-1)! + FRAME_MS - endMs;
      figures.accurateStartErrorMs = startError;
      figures.accurateEndErrorMs = endError;
      expect(Math.abs(startError)).toBeLessThan(FRAME_MS);
      expect(Math.abs(endError)).toBeLessThan(FRAME_MS);
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeCloseTo(FRAME_MS, -1);
      expect(Math.abs(accurate.actualStart.getTime() - stamps[0]!)).toBeLessThanOrEqual(1);
      // Progress reached the UI, then CLIP_READY.
      const mine = notifications.slice(before);
      const progress = mine.filter((n) => n.type === 'CAPTURE_PROGRESS');
      expect(progress.length).toBeGreaterThan(0);
      const fractions = progress.map((n) => (n.type === 'CAPTURE_PROGRESS' ? n.fraction : Number.NaN));
      expect(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!))).toBe(true);
      expect(fractions.at(-1)).toBe(1);
      expect(mine.at(-1)).toMatchObject({ type: 'CLIP_READY', clipId: accurate.id, userId: OWNER });
    }, 60_000);

    it('fast mode snaps the start to the previous keyframe and says where (actualStart)', async () => {
      const { startMs, endMs } = range();
      fast = await capture({
        sessionId: session.id,
        userId: OWNER,
        startAt: startMs,
        endAt: endMs,
        mode: 'fast',
      });
      expect(fast.metadata.cutMode).toBe('fast');
      const snapMs = startMs - fast.actualStart.getTime();
      figures.fastStartSnapMs = snapMs;
      expect(snapMs).toBeGreaterThanOrEqual(0);
      expect(snapMs).toBeLessThanOrEqual(session.segmentDurationSeconds * 1000 + FRAME_MS);
      // The snapped start is a segment boundary (LiveKit cuts segments on keyframes).
      const boundary = snapshot.segments.find((s) => Math.abs(s.startMs - fast.actualStart.getTime()) <= 1);
      expect(boundary).toBeDefined();
      const stamps = await readFrameStamps(clipPath(fast), { referenceMs: startMs });
      figures.fastFirstFrameVsActualStartMs = stamps[0]! - fast.actualStart.getTime();
      figures.fastEndErrorMs = stamps.at(-1)! + FRAME_MS - endMs;
      expect(Math.abs(stamps[0]! - fast.actualStart.getTime())).toBeLessThanOrEqual(1);
      expect(Math.abs(stamps.at(-1)! + FRAME_MS - endMs)).toBeLessThan(FRAME_MS);
      expect(Math.abs(fast.actualEnd.getTime() - (stamps.at(-1)! + FRAME_MS))).toBeLessThanOrEqual(1);
    }, 60_000);

    it('edge ranges: on a keyframe, inside one segment, ending on a boundary, across several joins', async () => {
      const seg = (i: number) => snapshot.segments[i]!;
      const cases: Array<{ label: string; startMs: number; endMs: number }> = [
        { label: 'starts on a keyframe', startMs: seg(4).startMs, endMs: seg(4).startMs + 2_450 },
        { label: 'inside one segment', startMs: seg(6).startMs + 310, endMs: seg(6).startMs + 1_290 },
        { label: 'ends on a boundary', startMs: seg(8).startMs + 777, endMs: seg(10).startMs },
        { label: 'three joins', startMs: seg(11).startMs + 1_999, endMs: seg(14).startMs + 1 },
      ];
      const errors: Record<string, unknown> = {};
      for (const { label, startMs, endMs } of cases) {
        for (const mode of ['accurate', 'fast'] as const) {
          const clip = await capture({
            sessionId: session.id,
            userId: OWNER,
            startAt: startMs,
            endAt: endMs,
            mode,
          });
          const stamps = await readFrameStamps(clipPath(clip), { referenceMs: startMs });
          const first = stamps[0]! - (mode === 'fast' ? clip.actualStart.getTime() : startMs);
          const last = stamps.at(-1)! + FRAME_MS - endMs;
          errors[`${mode}: ${label}`] = { first, last, snapMs: startMs - clip.actualStart.getTime() };
          expect(Math.abs(first), `${mode} ${label} start`).toBeLessThan(FRAME_MS);
          expect(Math.abs(last), `${mode} ${label} end`).toBeLessThan(FRAME_MS);
          for (let i = 1; i < stamps.length; i++)
            expect(stamps[i]! - stamps[i - 1]!).toBeCloseTo(FRAME_MS, -1);
          if (mode === 'fast') {
            expect(snapshot.segments.some((s) => Math.abs(s.startMs - clip.actualStart.getTime()) <= 1)).toBe(
              true,
            );
          }
          await manager.deleteClip({ clipId: clip.id, userId: OWNER });
        }
      }
      figures.edgeRangeErrorsMs = errors;
    }, 90_000);

    it('audio stays in sync after the smart cut (beep vs flash, within one frame)', async () => {
      const sync = await measureAvSync(clipPath(accurate), range().startMs);
      // The source, measured the same way over the same segments, for comparison.
      const selected = selectSegments(snapshot, range());
      if (!selected.ok) throw new Error(selected.message);
      const source = await measureAvSync(
        `concat:${selected.selection.segments.map((s) => s.path).join('|')}`,
        range().startMs,
      );
      figures.avSyncClipMs = sync.offsetsMs;
      figures.avSyncSourceMs = source.offsetsMs;
      expect(sync.offsetsMs.length).toBeGreaterThanOrEqual(4);
      expect(sync.maxAbsMs).toBeLessThanOrEqual(40);
      // And the cut added no offset of its own beyond an AAC frame (21 ms at 48 kHz).
      expect(Math.abs(median(sync.offsetsMs) - median(source.offsetsMs))).toBeLessThanOrEqual(22);
    }, 60_000);

    it('writes a poster that decodes as a 640-wide JPEG', async () => {
      expect(accurate.posterKey).toBeTruthy();
      const probe = await ffprobeJson(path.join(clipsDir, accurate.posterKey!), ['-show_streams']);
      expect(probe.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 640, height: 360 });
      const poster = await manager.openClipPoster({ clipId: accurate.id, viewerId: OWNER });
      expect(poster.mimeType).toBe('image/jpeg');
      const bytes = Buffer.concat(await poster.stream.toArray());
      expect(bytes.length).toBe(poster.sizeBytes);
      expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    });

    it('clamps a range running past the end of the buffer and says so', async () => {
      const end = snapshot.endMs!;
      const clip = await capture({
        sessionId: session.id,
        userId: OWNER,
        startAt: end - 3000,
        endAt: Math.min(Date.now(), end + 20_000),
      });
      expect(clip.metadata.clampedEnd).toBe(true);
      expect(clip.metadata.clampedStart).toBe(false);
      expect(Math.abs(clip.actualEnd.getTime() - end)).toBeLessThanOrEqual(FRAME_MS);
      expect(clip.durationSeconds).toBeGreaterThan(2.5);
      expect(clip.durationSeconds).toBeLessThan(3.2);
      await manager.deleteClip({ clipId: clip.id, userId: OWNER });
    }, 60_000);

    it('refuses start ≥ end (INVALID_INPUT) and a range with nothing left (RANGE_UNAVAILABLE) before any work', async () => {
      const cutsBefore = media.cuts;
      const t = bufferStart() + 5000;
      await expect(
        manager.captureReplay({ sessionId: session.id, userId: OWNER, startAt: t, endAt: t }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(
        manager.captureReplay({ sessionId: session.id, userId: OWNER, startAt: t, endAt: t - 1000 }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(
        manager.captureReplay({
          sessionId: session.id,
          userId: OWNER,
          startAt: bufferStart() - 30_000,
          endAt: bufferStart() - 20_000,
        }),
      ).rejects.toMatchObject({ code: 'RANGE_UNAVAILABLE', status: 410 });
      expect(media.cuts).toBe(cutsBefore);
    });

    it('refuses a save over quota with QUOTA_EXCEEDED before any ffmpeg work', async () => {
      const usage = await manager.getQuota({ userId: OWNER });
      expect(usage.limitBytes).toBe(5 * 1024 ** 3);
      await manager.setUserQuota({ userId: OWNER, limitBytes: usage.usedBytes + 1000 });
      const cutsBefore = media.cuts;
      await expect(
        manager.captureReplay({
          sessionId: session.id,
          userId: OWNER,
          startAt: bufferStart() + 1000,
          endAt: bufferStart() + 3000,
        }),
      ).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
      expect(media.cuts).toBe(cutsBefore);
      expect(await readdir(path.join(clipsDir, '.work')).catch(() => [])).toEqual([]);
      const after = await manager.setUserQuota({ userId: OWNER, limitBytes: 5 * 1024 ** 3 });
      expect(after).toMatchObject({ usedBytes: usage.usedBytes, reservedBytes: 0 });
      expect(usage.usedBytes).toBe(accurate.sizeBytes + fast.sizeBytes);
    });
  });

  describe('clip library', () => {
    let clip: ClipRecord;

    beforeAll(async () => {
      clip = await capture({
        sessionId: session.id,
        userId: OWNER,
        startAt: bufferStart() + 20_000,
        endAt: bufferStart() + 23_000,
        mode: 'fast',
        title: 'Library clip',
      });
    }, 60_000);

    it('lists the owner’s clips newest first, with a cursor', async () => {
      const first = await manager.listClips({ userId: OWNER, ...{ limit: 2 } });
      expect(first.items.map((c) => c.id)[0]).toBe(clip.id);
      expect(first.nextCursor).toBeTruthy();
      const second = await manager.listClips({ userId: OWNER, ...{ limit: 2, cursor: first.nextCursor } });
      const ids = [...first.items, ...second.items].map((c) => c.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect((await manager.listClips({ userId: OTHER })).items).toEqual([]);
      await expect(manager.listClips({ userId: OWNER, ...{ cursor: 'garbage!' } })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
    });

    it('keeps a private clip the owner’s alone: others get CLIP_NOT_FOUND and cannot delete it', async () => {
      expect((await manager.getClip({ clipId: clip.id, viewerId: OWNER })).id).toBe(clip.id);
      for (const call of [
        () => manager.getClip({ clipId: clip.id, viewerId: OTHER }),
        () => manager.openClipFile({ clipId: clip.id, viewerId: OTHER }),
        () => manager.openClipPoster({ clipId: clip.id, viewerId: OTHER }),
        () => manager.updateClip({ clipId: clip.id, userId: OTHER, visibility: 'public' }),
        () => manager.shareClip({ clipId: clip.id, userId: OTHER, share: { target: 'channel' } }),
      ]) {
        await expect(call()).rejects.toMatchObject({ code: 'CLIP_NOT_FOUND', status: 404 });
      }
      // Exactly what a clip that never existed answers.
      await expect(manager.getClip({ clipId: 'clip_doesnotexist', viewerId: OTHER })).rejects.toMatchObject({
        code: 'CLIP_NOT_FOUND',
      });
      expect(await manager.deleteClip({ clipId: clip.id, userId: OTHER })).toEqual({
        deleted: false,
        freedBytes: 0,
      });
      expect(await stat(clipPath(clip))).toBeTruthy();
      expect((await manager.getClip({ clipId: clip.id, viewerId: OWNER })).id).toBe(clip.id);
      expect((await manager.listPublicClips({ ownerId: OWNER, ...{ viewerId: OTHER } })).items).toEqual([]);
    });

    it('lets others the authorize hook allows read a public clip, but only the owner change it', async () => {
      const made = await manager.updateClip({ clipId: clip.id, userId: OWNER, visibility: 'public' });
      expect(made.visibility).toBe('public');
      authorizeCalls.length = 0;
      expect((await manager.getClip({ clipId: clip.id, viewerId: OTHER })).id).toBe(clip.id);
      expect(authorizeCalls).toEqual([
        expect.objectContaining({ userId: OTHER, action: 'view_clip', clipId: clip.id, channelId: 'chan-1' }),
      ]);
      const stream = await manager.openClipFile({ clipId: clip.id, viewerId: OTHER });
      expect(stream.contentLength).toBe(clip.sizeBytes);
      stream.stream.destroy();
      await expect(manager.getClip({ clipId: clip.id, viewerId: BLOCKED })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(manager.openClipFile({ clipId: clip.id, viewerId: BLOCKED })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(manager.deleteClip({ clipId: clip.id, userId: OTHER })).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      await expect(
        manager.updateClip({ clipId: clip.id, userId: OTHER, visibility: 'private' }),
      ).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
      const listed = await manager.listPublicClips({ ownerId: OWNER, ...{ viewerId: OTHER } });
      expect(listed.items.map((c) => c.id)).toEqual([clip.id]);
      // Others see the public view: no session, room, storage key, hash or capture metadata.
      const publicView = await manager.getClip({ clipId: clip.id, viewerId: OTHER });
      for (const view of [publicView, listed.items[0]!]) {
        for (const hidden of ['sessionId', 'roomName', 'storageKey', 'sha256', 'metadata', 'posterKey']) {
          expect(view).not.toHaveProperty(hidden);
        }
        expect(view).toMatchObject({ id: clip.id, ownerId: OWNER, title: 'Library clip', hasPoster: true });
      }
      // The owner sees the owner's view (ISO instants, the hash), still without storage internals.
      const ownerView = await manager.getClip({ clipId: clip.id, viewerId: OWNER });
      expect(ownerView).toMatchObject({
        sessionId: session.id,
        sha256: clip.sha256,
        actualStart: clip.actualStart.toISOString(),
      });
      expect(ownerView).not.toHaveProperty('storageKey');
      expect(await manager.updateClip({ clipId: clip.id, userId: OWNER, title: 'Renamed' })).toMatchObject({
        title: 'Renamed',
      });
      await manager.updateClip({ clipId: clip.id, userId: OWNER, title: 'Library clip' });
      expect((await manager.listPublicClips({ ownerId: OWNER, ...{ viewerId: BLOCKED } })).items).toEqual([]);
      await manager.updateClip({ clipId: clip.id, userId: OWNER, visibility: 'private' });
      await expect(manager.getClip({ clipId: clip.id, viewerId: OTHER })).rejects.toMatchObject({
        code: 'CLIP_NOT_FOUND',
      });
    });

    it('serves exactly the requested bytes for byte ranges', async () => {
      const file = await readFile(clipPath(clip));
      expect(createHash('sha256').update(file).digest('hex')).toBe(clip.sha256);
      const size = file.length;
      const cases: Array<[string | { start: number; end: number } | undefined, number, number]> = [
        [undefined, 0, size - 1],
        ['bytes=0-0', 0, 0],
        ['bytes=0-1023', 0, 1023],
        [`bytes=${size - 100}-`, size - 100, size - 1],
        ['bytes=-777', size - 777, size - 1],
        [`bytes=1000-${size + 5000}`, 1000, size - 1],
        [{ start: 12_345, end: 54_321 }, 12_345, 54_321],
      ];
      for (const [range, start, end] of cases) {
        const opened = await manager.openClipFile({ clipId: clip.id, viewerId: OWNER, range });
        const body = Buffer.concat(await opened.stream.toArray());
        expect(opened.sizeBytes).toBe(size);
        expect(opened.range).toEqual(range === undefined ? null : { start, end });
        expect(opened.contentLength).toBe(end - start + 1);
        expect(body.equals(file.subarray(start, end + 1))).toBe(true);
      }
      expect((await manager.openClipFile({ clipId: clip.id, viewerId: OWNER })).fileName).toBe(
        toFileRecord(clip).filename,
      );
      await expect(
        manager.openClipFile({ clipId: clip.id, viewerId: OWNER, range: `bytes=${size}-` }),
      ).rejects.toMatchObject({
        code: 'RANGE_NOT_SATISFIABLE',
        status: 416,
        details: { sizeBytes: size },
      });
    });

    it('shares through the ClipSharer: public first, back to private when posting fails', async () => {
      await expect(
        manager.shareClip({ clipId: clip.id, userId: OWNER, share: { target: 'dm' } as never }),
      ).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
      await expect(
        manager.shareClip({
          clipId: clip.id,
          userId: OWNER,
          share: { target: 'dm', recipientUserId: OTHER, message: 'fail' },
        }),
      ).rejects.toMatchObject({ code: 'INTERNAL' });
      expect((await manager.getClip({ clipId: clip.id, viewerId: OWNER })).visibility).toBe('private');
      const shared = await manager.shareClip({
        clipId: clip.id,
        userId: OWNER,
        share: {
          target: 'channel',
          message: '  look at this  ',
        },
      });
      expect(shared).toMatchObject({ messageId: 'msg_1', madePublic: true, clip: { visibility: 'public' } });
      expect(sharer.requests[0]).toMatchObject({
        sharedByUserId: OWNER,
        target: 'channel',
        channelId: 'chan-1',
        recipientUserId: null,
        message: 'look at this',
        file: { id: clip.id, resourceType: 'REPLAY_CLIP', size: clip.sizeBytes, checksum: clip.sha256 },
      });
      const dm = await manager.shareClip({
        clipId: clip.id,
        userId: OWNER,
        share: { target: 'dm', recipientUserId: OTHER },
      });
      expect(dm).toMatchObject({ messageId: 'msg_2', madePublic: false });
      expect(sharer.requests[1]).toMatchObject({
        target: 'dm',
        channelId: null,
        recipientUserId: OTHER,
        message: null,
      });
    });

    it('deletes file, poster and record, gives the bytes back, and is idempotent', async () => {
      const before = await manager.getQuota({ userId: OWNER });
      const result = await manager.deleteClip({ clipId: clip.id, userId: OWNER });
      expect(result).toEqual({ deleted: true, freedBytes: clip.sizeBytes });
      const after = await manager.getQuota({ userId: OWNER });
      expect(after.usedBytes).toBe(before.usedBytes - clip.sizeBytes);
      expect(after.reservedBytes).toBe(0);
      await expect(stat(clipPath(clip))).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(stat(path.join(clipsDir, clip.posterKey!))).rejects.toMatchObject({ code: 'ENOENT' });
      await expect(manager.getClip({ clipId: clip.id, viewerId: OWNER })).rejects.toMatchObject({
        code: 'CLIP_NOT_FOUND',
      });
      expect(await manager.deleteClip({ clipId: clip.id, userId: OWNER })).toEqual({
        deleted: false,
        freedBytes: 0,
      });
      expect((await manager.getQuota({ userId: OWNER })).usedBytes).toBe(after.usedBytes);
    });
  });

  describe('trim preview', () => {
    /** The playlist text and the timeline DTO, with epoch-ms starts for the time mapping. */
    async function previewOf(sessionId: string) {
      const [{ playlist }, dto] = await Promise.all([
        manager.getPreviewPlaylist({ sessionId, userId: OWNER }),
        manager.getPreview({ sessionId, userId: OWNER }),
      ]);
      const segments = dto.segments.map((s) => ({
        ...s,
        startMs: Date.parse(s.start),
        uri: '',
        afterGap: false,
      }));
      return {
        playlist,
        dto,
        segments,
        startMs: Date.parse(dto.start),
        durationSeconds: dto.durationSeconds,
      };
    }

    it('answers a VOD playlist over the buffer whose segments resolve to clean MPEG-TS', async () => {
      const preview = await previewOf(session.id);
      const parsed = parsePlaylist(preview.playlist);
      expect(preview.playlist).toContain('#EXT-X-PLAYLIST-TYPE:VOD');
      expect(preview.playlist.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
      expect(parsed.entries.length).toBe(snapshot.segments.length);
      for (const [i, entry] of parsed.entries.entries()) {
        const segment = snapshot.segments[i]!;
        expect(entry.programDateTimeMs).toBe(segment.startMs);
        expect(entry.uri).toBe(`/api/replay/${session.id}/preview/segment/${segment.name}`);
      }
      expect(preview.startMs).toBe(snapshot.startMs);
      // The DTO: the playlist's URL from the integrator's builder, ISO instants, the frame rate.
      expect(preview.dto).toMatchObject({
        sessionId: session.id,
        playlistUrl: `/api/replay/${session.id}/preview/playlist/playlist.m3u8`,
        start: new Date(snapshot.startMs!).toISOString(),
        frameRate: FPS,
      });
      // Without a session id: the user's current (just-ended, still kept) buffer.
      expect((await manager.getPreview({ userId: OWNER })).sessionId).toBe(session.id);

      const segment = snapshot.segments[3]!;
      const resolved = await manager.openPreviewSegment({
        sessionId: session.id,
        userId: OWNER,
        name: segment.name,
      });
      expect(resolved.mimeType).toBe('video/mp2t');
      const cached = path.join(clipsDir, '.preview', session.id, segment.name);
      expect((await stat(cached)).size).toBe(resolved.sizeBytes);
      resolved.stream.destroy();
      const [remuxed, original] = await Promise.all([
        ffprobeJson(cached, ['-show_streams', '-show_format']),
        ffprobeJson(segment.path, ['-show_streams', '-show_format']),
      ]);
      expect(remuxed.format.format_name).toBe('mpegts');
      expect(remuxed.streams.map((s: { codec_name: string }) => s.codec_name).sort()).toEqual([
        'aac',
        'h264',
      ]);
      // Timestamps are kept, so consecutive segments play as one timeline.
      expect(Number(remuxed.format.start_time)).toBeCloseTo(Number(original.format.start_time), 2);
      expect(Number(remuxed.format.duration)).toBeCloseTo(segment.durationSeconds, 1);
      // Asked again: served from the cache.
      const again = await manager.openPreviewSegment({
        sessionId: session.id,
        userId: OWNER,
        name: segment.name,
      });
      expect(await text(again.stream)).toBe((await readFile(cached)).toString());

      // The wall-clock mapping agrees with the frames: the instant at player time t is the
      // stamp on the frame shown there.
      const t = preview.segments[5]!.offsetSeconds + 0.5;
      const wall = previewTimeToWallClock(preview, t);
      const seg5 = snapshot.segments[5]!;
      const stamps = await readFrameStamps(seg5.path, { referenceMs: wall });
      expect(stamps.some((s) => Math.abs(s - wall) < FRAME_MS / 2 + 1)).toBe(true);
    }, 60_000);

    it('plays in hls.js (Chromium), and the wall clock at a player time is the frame shown there', async () => {
      const preview = await previewOf(session.id);
      const { server, origin } = await servePreview(manager, session.id, OWNER);
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--mute-audio',
        ],
      });
      try {
        const page = await browser.newPage();
        await page.goto(`${origin}/`);
        // Seek into the middle of a segment, paused, and read the stamp strip off the picture.
        const seekTo = preview.segments[7]!.offsetSeconds + 0.75;
        const args = {
          playlistUrl: `/api/replay/${session.id}/preview/playlist.m3u8`,
          seekTo,
          stripWidth: STAMP_WIDTH,
          stripHeight: STAMP_HEIGHT,
        };
        // The in-page part lives in clips-preview-page.js (browser code, outside this Node program).
        const result = (await page.evaluate(`window.previewCheck(${JSON.stringify(args)})`)) as {
          errors: string[];
          duration: number;
          currentTime: number;
          width: number;
          gray: number[];
        };
        expect(result.errors).toEqual([]);
        expect(result.width).toBe(1280);
        expect(Math.abs(result.duration - preview.durationSeconds)).toBeLessThan(0.5);
        const wall = previewTimeToWallClock(preview, result.currentTime);
        const shown = unwrapStamp(decodeStampStrip(Uint8Array.from(result.gray)), wall);
        figures.previewMappingErrorMs = shown - wall;
        // The frame on screen at time t was stamped within one frame before the computed instant.
        expect(wall - shown).toBeGreaterThanOrEqual(-1);
        expect(wall - shown).toBeLessThan(FRAME_MS + 1);
      } finally {
        await browser.close();
        await new Promise((resolve) => server.close(resolve));
      }
    }, 60_000);

    it('drops cached remuxes and thumbnails of segments that left the buffer', async () => {
      const dir = path.join(clipsDir, '.preview', session.id);
      await mkdir(path.join(dir, 'thumbnails'), { recursive: true });
      await writeFile(path.join(dir, 'replay_99998.ts'), 'old');
      await writeFile(path.join(dir, 'replay_00003-partial-abcd.ts'), 'in flight');
      await writeFile(path.join(dir, 'thumbnails', 'replay_99998-w160.jpg'), 'old');
      await manager.getPreviewPlaylist({ sessionId: session.id, userId: OWNER });
      const left = await readdir(dir);
      expect(left).not.toContain('replay_99998.ts');
      expect(left).toContain('replay_00003-partial-abcd.ts');
      await manager.getThumbnails({ sessionId: session.id, userId: OWNER, ...{ count: 2 } });
      expect(await readdir(path.join(dir, 'thumbnails'))).not.toContain('replay_99998-w160.jpg');
      await rm(path.join(dir, 'replay_00003-partial-abcd.ts'));
    });

    it('refuses traversal, unknown names and other users', async () => {
      for (const name of [
        '../replay.m3u8',
        '..%2Freplay_00001.ts',
        'replay_00001.ts/../../x.ts',
        '/etc/passwd',
        'replay.m3u8',
        '',
      ]) {
        await expect(
          manager.openPreviewSegment({ sessionId: session.id, userId: OWNER, name }),
        ).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
      }
      await expect(
        manager.openPreviewSegment({ sessionId: session.id, userId: OWNER, name: 'replay_99999.ts' }),
      ).rejects.toMatchObject({
        code: 'RANGE_UNAVAILABLE',
      });
      await expect(
        manager.openPreviewSegment({
          sessionId: session.id,
          userId: OTHER,
          name: snapshot.segments[0]!.name,
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(
        manager.getPreviewPlaylist({ sessionId: session.id, userId: OTHER }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
      await expect(manager.getPreviewPlaylist({ sessionId: '../etc', userId: OWNER })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
      });
    });

    it('gives evenly spaced timeline thumbnails, made once per segment', async () => {
      const thumbs = await manager.getThumbnails({
        sessionId: session.id,
        userId: OWNER,
        ...{ count: 4, width: 160 },
      });
      expect(thumbs.items).toHaveLength(4);
      const [startMs, endMs] = [Date.parse(thumbs.start), Date.parse(thumbs.end)];
      const span = endMs - startMs;
      // Each tile pictures the first frame of its segment (named after it): frameMs.
      const items = thumbs.items.map((item) => {
        const stem = item.name.replace(/-w\d+\.jpg$/, '');
        const frameMs = snapshot.segments.find((seg) => seg.name === `${stem}.ts`)!.startMs;
        return { ...item, atMs: Date.parse(item.at), frameMs };
      });
      items.forEach((item, i) => {
        expect(Math.abs(item.atMs - (startMs + ((i + 0.5) * span) / 4))).toBeLessThanOrEqual(1);
        expect(item.frameMs).toBeLessThanOrEqual(item.atMs);
        expect(item.atMs - item.frameMs).toBeLessThanOrEqual(session.segmentDurationSeconds * 1000 + 500);
        expect(item.url).toBe(`/api/replay/${session.id}/preview/thumbnail/${item.name}`);
      });
      const first = items[0]!;
      const resolved = await manager.openThumbnail({
        sessionId: session.id,
        userId: OWNER,
        name: first.name,
      });
      expect(resolved.mimeType).toBe('image/jpeg');
      resolved.stream.destroy();
      const file = path.join(clipsDir, '.preview', session.id, 'thumbnails', first.name);
      const probe = await ffprobeJson(file, ['-show_streams']);
      expect(probe.streams[0]).toMatchObject({ codec_name: 'mjpeg', width: 160, height: 90 });
      // The picture is the segment's first frame: its stamp is frameMs.
      const stamps = await readFrameStamps(snapshot.segments.find((s) => s.startMs === first.frameMs)!.path, {
        referenceMs: first.frameMs,
      });
      expect(Math.abs(stamps[0]! - first.frameMs)).toBeLessThanOrEqual(1);
      const { mtimeMs } = await stat(file);
      (
        await manager.openThumbnail({ sessionId: session.id, userId: OWNER, name: first.name })
      ).stream.destroy();
      expect((await stat(file)).mtimeMs).toBe(mtimeMs);
      for (const bad of [
        '../x-w160.jpg',
        'replay_00001-w161.jpg',
        'replay_00001-w9999.jpg',
        'replay_00001.jpg',
      ]) {
        await expect(
          manager.openThumbnail({ sessionId: session.id, userId: OWNER, name: bad }),
        ).rejects.toMatchObject({
          code: 'INVALID_INPUT',
        });
      }
      await expect(
        manager.openThumbnail({ sessionId: session.id, userId: OWNER, name: 'replay_99999-w160.jpg' }),
      ).rejects.toMatchObject({
        code: 'RANGE_UNAVAILABLE',
      });
    }, 60_000);
  });

  it('a save whose record cannot be stored gives its quota back and leaves no file', async () => {
    const failing = new (class extends MemoryClipStore {
      override async create(): Promise<ClipRecord> {
        throw new Error('database is down');
      }
    })();
    const second = new ReplayBufferManager({
      config: manager.config,
      stores: { ...stores, clips: failing },
      media,
      coordination: { rateLimiter: false },
    });
    const before = await manager.getQuota({ userId: OWNER });
    const filesBefore = await readdir(path.join(clipsDir, 'clips'));
    const postersBefore = await readdir(path.join(clipsDir, 'posters'));
    await expect(
      second.captureReplay({
        sessionId: session.id,
        userId: OWNER,
        startAt: bufferStart() + 2000,
        endAt: bufferStart() + 3000,
        mode: 'fast',
      }),
    ).rejects.toThrow(/database is down/);
    expect(await manager.getQuota({ userId: OWNER })).toEqual(before);
    expect(await readdir(path.join(clipsDir, 'clips'))).toEqual(filesBefore);
    expect(await readdir(path.join(clipsDir, 'posters'))).toEqual(postersBefore);
  }, 30_000);

  it('sweeps the preview caches of sessions that are gone or past retention', async () => {
    const ctx = (manager as unknown as { ctx: ManagerContext }).ctx;
    const cacheRoot = path.join(clipsDir, '.preview');
    await mkdir(path.join(cacheRoot, 'rs_gone'), { recursive: true });
    await writeFile(path.join(cacheRoot, 'rs_gone', 'replay_00001.ts'), 'x');
    expect(await sweepPreviewCaches(ctx)).toBe(1);
    expect(await readdir(cacheRoot)).toEqual([session.id]);
    const afterRetention = session.endedAt!.getTime() + manager.config.retainAfterStopSeconds * 1000 + 1000;
    expect(await sweepPreviewCaches(ctx, afterRetention)).toBe(1);
    expect(await readdir(cacheRoot)).toEqual([]);
    // The cache is rebuilt on demand while the segments are still there.
    (
      await manager.openPreviewSegment({
        sessionId: session.id,
        userId: OWNER,
        name: snapshot.segments[0]!.name,
      })
    ).stream.destroy();
    expect(await readdir(cacheRoot)).toEqual([session.id]);
  });

  it('50 concurrent captures never exceed the quota; usage equals the committed clips afterwards', async () => {
    // A second instance over the same stores with more capture slots, so many saves race for the quota.
    const second = new ReplayBufferManager({
      config: { ...manager.config, maxConcurrentCaptures: 16 },
      stores,
      media,
      coordination: { rateLimiter: false },
    });
    const base = await manager.getQuota({ userId: OWNER });
    // Room for about five accurate 1.5 s saves (each reserves the segments it reads, the head twice).
    const limit = base.usedBytes + 5 * reservationBytes(snapshot.segments.slice(3, 5), 'accurate');
    await manager.setUserQuota({ userId: OWNER, limitBytes: limit });
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const u = await manager.getQuota({ userId: OWNER });
        peak = Math.max(peak, u.usedBytes + u.reservedBytes);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const cutsBefore = media.cuts;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => {
        const startMs = bufferStart() + 2000 + (i % 25) * 1000 + 123;
        return (i % 2 ? second : manager).captureReplay({
          sessionId: session.id,
          userId: OWNER,
          startAt: startMs,
          endAt: startMs + 1500,
          mode: i % 4 < 2 ? 'fast' : 'accurate',
        });
      }),
    );
    sampling = false;
    await sampler;
    const counts: Record<string, number> = {};
    for (const o of outcomes) {
      const key = o.status === 'fulfilled' ? 'saved' : String((o.reason as { code?: string }).code);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    figures.concurrentOutcomes = counts;
    expect(Object.keys(counts).every((k) => ['saved', 'QUOTA_EXCEEDED', 'CAPTURE_BUSY'].includes(k))).toBe(
      true,
    );
    expect(counts.saved).toBeGreaterThanOrEqual(1);
    expect(counts.QUOTA_EXCEEDED).toBeGreaterThanOrEqual(1);
    // Refused saves never reached ffmpeg.
    expect(media.cuts - cutsBefore).toBe(counts.saved);
    expect(peak).toBeLessThanOrEqual(limit);
    const usage = await manager.getQuota({ userId: OWNER });
    expect(usage.reservedBytes).toBe(0);
    expect(usage.usedBytes).toBeLessThanOrEqual(limit);
    const all: ClipRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = await stores.clips.listByOwner(OWNER, { limit: 100, cursor });
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(usage.usedBytes).toBe(all.reduce((sum, c) => sum + c.sizeBytes, 0));
    // Every stored clip file belongs to a record, and no scratch is left.
    const files = await readdir(path.join(clipsDir, 'clips'));
    expect(files.sort()).toEqual(all.map((c) => path.basename(c.storageKey)).sort());
    expect(await readdir(path.join(clipsDir, '.work')).catch(() => [])).toEqual([]);
    // Deleting them all brings usage back to zero.
    await Promise.all(all.map((c) => manager.deleteClip({ clipId: c.id, userId: OWNER })));
    expect(await manager.getQuota({ userId: OWNER })).toMatchObject({ usedBytes: 0, reservedBytes: 0 });
    await manager.setUserQuota({ userId: OWNER, limitBytes: 5 * 1024 ** 3 });
  }, 90_000);

  it('measures the smart cut against a plain stream copy of the same range', async () => {
    const pipeline = new FfmpegMediaPipeline();
    const requested = { startMs: bufferStart() + 4_550, endMs: bufferStart() + 24_550 };
    const selected = selectSegments(snapshot, requested);
    if (!selected.ok) throw new Error(selected.message);
    const { segments } = selected.selection;
    const work = await mkdtemp(path.join(root, 'bench-'));
    const timeOf = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    const times: Record<'accurate' | 'fast' | 'copy', number[]> = { accurate: [], fast: [], copy: [] };
    const offset = (requested.startMs - segments[0]!.startMs) / 1000;
    for (let i = 0; i < 3; i++) {
      for (const mode of ['accurate', 'fast'] as const) {
        times[mode].push(
          await timeOf(() =>
            pipeline.cut({
              segments,
              ...requested,
              mode,
              outputPath: path.join(work, `${mode}${i}.mp4`),
              workDir: path.join(work, 'w'),
            }),
          ),
        );
      }
      times.copy.push(
        await timeOf(() =>
          ffmpeg([
            '-v',
            'error',
            '-y',
            '-i',
            `concat:${segments.map((s) => s.path).join('|')}`,
            '-ss',
            offset.toFixed(3),
            '-t',
            '20',
            '-map',
            '0:v',
            '-map',
            '0:a',
            '-c',
            'copy',
            '-bsf:a',
            'aac_adtstoasc',
            '-movflags',
            '+faststart',
            path.join(work, `copy${i}.mp4`),
          ]),
        ),
      );
    }
    const accurateMs = median(times.accurate);
    const fastMs = median(times.fast);
    const copyMs = median(times.copy);
    figures.costMs = {
      accurate: Math.round(accurateMs),
      fast: Math.round(fastMs),
      plainCopy: Math.round(copyMs),
    };
    figures.smartCutVsCopyRatio = Math.round((accurateMs / copyMs) * 100) / 100;
    figures.fastVsCopyRatio = Math.round((fastMs / copyMs) * 100) / 100;
    // All three produce a 20 s file.
    for (const name of ['accurate0.mp4', 'fast0.mp4', 'copy0.mp4']) {
      const probe = await ffprobeJson(path.join(work, name), ['-show_format']);
      expect(Number(probe.format.duration)).toBeGreaterThan(19.5);
    }
    await rm(work, { recursive: true, force: true });
  }, 90_000);
});
