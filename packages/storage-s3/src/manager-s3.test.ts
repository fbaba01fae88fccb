/**
 * The manager on object storage only, as on LiveKit Cloud: the real livekit-server-sdk starts
 * egresses on the emulator in cloud mode (local output refused), which uploads segments and
 * playlists to s3rver; the manager reads them through S3SegmentSourceFactory, cuts with real
 * ffmpeg and keeps clips in S3ClipStorage. Its `segmentsDir` is never created.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ReplayBufferManager } from '@livekit-replay/core';
import { createMemoryStores, type ReplaySession } from '@livekit-replay/core/adapter';
import {
  type EgressEmulator,
  readFrameStamps,
  type S3TestServer,
  startEgressEmulator,
  startS3TestServer,
} from '@livekit-replay/testing';
import {
  expectLiveSaveEndsAtPress,
  expectRangeSaveShows,
  timePress,
  uniqueId,
} from '@livekit-replay/testing/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingClient, testConfig } from '../test/helpers.js';
import { createS3Client, egressS3Upload, S3ClipStorage, S3SegmentSourceFactory } from './index.js';

const SEGMENTS_BUCKET = 'replay-segments';
const CLIPS_BUCKET = 'replay-clips';
const KEY_PREFIX = 'egress';
const FPS = 10;
const FRAME_MS = 1000 / FPS;
const HISTORY_SECONDS = 80;

let server: S3TestServer;
let emulator: EgressEmulator;
let root: string;
let manager: ReplayBufferManager;
let clipStorage: S3ClipStorage;
let session: ReplaySession;
const stores = createMemoryStores();
const user = uniqueId('s3-user');
/** Set by a test: clip uploads fail as a dropped connection would (a multipart one mid-way). */
let failClipUploads = false;
let clipCalls: Map<string, number>;

const livekit = () => ({ url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret });
const segmentsConfig = () => testConfig(server, SEGMENTS_BUCKET, 'WHEN_REQUIRED');

function managerWith(config: Record<string, unknown>, segments: S3SegmentSourceFactory) {
  return new ReplayBufferManager({
    config: {
      // The real gateway: every start carries the upload to the segments bucket.
      livekit: { ...livekit(), egressUpload: { s3: egressS3Upload(segmentsConfig()) } },
      segmentsDir: path.join(root, 'segments-never-created'),
      egressSegmentsDir: KEY_PREFIX,
      clipsDir: path.join(root, 'clips'),
      defaultQuality: '720p',
      maxCaptureSeconds: 300,
      ...config,
    },
    stores,
    storage: clipStorage,
    segments,
    coordination: { rateLimiter: false },
  });
}

function segmentFactory(options: { deleteBatchSize?: number } = {}) {
  return new S3SegmentSourceFactory({
    client: createS3Client(segmentsConfig()),
    bucket: SEGMENTS_BUCKET,
    keyPrefix: KEY_PREFIX,
    ...options,
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const client = createS3Client(segmentsConfig());
  const page = await client.send(new ListObjectsV2Command({ Bucket: SEGMENTS_BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

async function clipFile(storageKey: string): Promise<string> {
  const file = path.join(root, `${uniqueId('clip')}.mp4`);
  await pipeline(await clipStorage.openRead(storageKey), createWriteStream(file));
  return file;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lkr-s3-manager-'));
  server = await startS3TestServer({ buckets: [SEGMENTS_BUCKET, CLIPS_BUCKET] });
  emulator = await startEgressEmulator({ cloud: true, historySeconds: HISTORY_SECONDS, maxFrameRate: FPS });
  const clips = countingClient(testConfig(server, CLIPS_BUCKET));
  clipCalls = clips.calls;
  let parts = 0;
  clips.client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      const failing =
        failClipUploads &&
        (command === 'PutObjectCommand' || (command === 'UploadPartCommand' && ++parts === 2));
      if (failing) {
        throw Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failClipUploads' },
  );
  clipStorage = new S3ClipStorage({
    client: clips.client,
    bucket: CLIPS_BUCKET,
    keyPrefix: 'media',
    tempDir: path.join(root, 'clip-temp'),
    partSizeBytes: 5 * 1024 * 1024,
    queueSize: 1,
  });
  manager = managerWith({}, segmentFactory());
  const started = await manager.startReplayBuffer({
    userId: user,
    roomName: 'room-s3',
    videoTrackId: 'TR_video',
    audioTrackId: 'TR_audio',
  });
  session = (await stores.sessions.get(started.id))!;
  await emulator.waitForSegments(session.egressId!, HISTORY_SECONDS / 2 - 1, { timeoutMs: 120_000 });
}, 180_000);

afterAll(async () => {
  try {
    await manager?.close();
    await emulator?.close();
  } finally {
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  }
});

describe('capture from S3 segments into S3 clips', () => {
  it.each([10, 30, 60])(
    'a %i s save is within ±0.1 s and shows exactly the requested wall-clock window',
    async (seconds) => {
      const { result: dto, press } = await timePress(() =>
        manager.captureReplay({ sessionId: session.id, userId: user, durationSeconds: seconds }),
      );
      const clip = (await stores.clips.get(dto.id))!;
      expect(Math.abs(clip.durationSeconds - seconds)).toBeLessThanOrEqual(0.1);
      expect(clip.posterKey).toBe(`posters/${clip.id}.jpg`);
      expect(await clipStorage.size(clip.posterKey!)).toBeGreaterThan(0);
      const stamps = await readFrameStamps(await clipFile(clip.storageKey), { referenceMs: Date.now() });
      expectLiveSaveEndsAtPress({
        press,
        requestedEndMs: clip.requestedEnd.getTime(),
        frameStampsMs: stamps,
        frameMs: FRAME_MS,
        durationMs: seconds * 1000,
      });
      expect(Math.abs(stamps[0]! - clip.requestedStart.getTime())).toBeLessThanOrEqual(FRAME_MS);
    },
    90_000,
  );

  it('a range save over a lagging playlist shows exactly the frames stamped at the requested instants', async () => {
    emulator.faults.setPlaylistLag(6, session.egressId!);
    try {
      await emulator.waitForSegments(session.egressId!, HISTORY_SECONDS / 2 + 4, { timeoutMs: 30_000 });
      const endMs = Date.now() - 1_500;
      const startMs = endMs - 8_300;
      const dto = await manager.captureReplay({
        sessionId: session.id,
        userId: user,
        startAt: startMs,
        endAt: endMs,
      });
      const clip = (await stores.clips.get(dto.id))!;
      const stamps = await readFrameStamps(await clipFile(clip.storageKey), { referenceMs: Date.now() });
      expectRangeSaveShows({ startMs, endMs, frameStampsMs: stamps, frameMs: FRAME_MS });
    } finally {
      emulator.faults.setPlaylistLag(0, session.egressId!);
    }
  }, 90_000);

  it('never uses a segment whose upload is still in progress, and uses it once complete', async () => {
    const egressId = session.egressId!;
    const heldIndex = (emulator.getEgress(egressId)?.segments.length ?? 0) + 2;
    const held = emulator.holdSegmentUpload(egressId, heldIndex);
    await held.started;
    await emulator.waitForSegments(egressId, heldIndex + 2, { timeoutMs: 30_000 });
    const nameOf = (index: number) => `replay_${String(index).padStart(5, '0')}.ts`;
    const listed = async () =>
      (await manager.getPreview({ sessionId: session.id, userId: user })).segments.map((s) => s.name);
    const during = await listed();
    expect(during).not.toContain(nameOf(heldIndex));
    expect(during).toContain(nameOf(heldIndex + 1));
    // A save over the held segment's time is cut around it (a gap), never from a partial object.
    const status = await manager.getBufferStatus({ sessionId: session.id, userId: user });
    expect(status?.canCapture).toBe(true);
    held.release();
    await emulator.waitForSegments(egressId, heldIndex + 3, { timeoutMs: 30_000 });
    expect(await listed()).toContain(nameOf(heldIndex));
  }, 60_000);

  it('streamReplay reads S3 segments: the last 5 s end at the press', async () => {
    const { result, press } = await timePress(() =>
      manager.streamReplay({ sessionId: session.id, userId: user, durationSeconds: 5 }),
    );
    const file = path.join(root, `${uniqueId('download')}.mp4`);
    await pipeline(result.stream, createWriteStream(file));
    const stamps = await readFrameStamps(file, { referenceMs: Date.now() });
    expectLiveSaveEndsAtPress({
      press,
      requestedEndMs: Date.parse(result.end),
      frameStampsMs: stamps,
      frameMs: FRAME_MS,
      durationMs: 5000,
    });
  }, 60_000);

  it('serves preview segments and timeline thumbnails made from S3 segments', async () => {
    const preview = await manager.getPreview({ sessionId: session.id, userId: user });
    expect(preview.frameRate).toBe(FPS);
    const segment = preview.segments.at(-3)!;
    const ts = await manager.openPreviewSegment({ sessionId: session.id, userId: user, name: segment.name });
    const bytes = await buffer(ts.stream);
    expect(bytes.length).toBe(ts.sizeBytes);
    expect(bytes[0]).toBe(0x47); // MPEG-TS sync byte
    const file = path.join(root, `${uniqueId('preview')}.ts`);
    await pipeline(
      await manager
        .openPreviewSegment({ sessionId: session.id, userId: user, name: segment.name })
        .then((s) => s.stream),
      createWriteStream(file),
    );
    const stamps = await readFrameStamps(file, { referenceMs: Date.now() });
    expect(Math.abs(stamps[0]! - Date.parse(segment.start))).toBeLessThanOrEqual(FRAME_MS);

    const thumbnails = await manager.getThumbnails({ sessionId: session.id, userId: user, count: 3 });
    expect(thumbnails.items).toHaveLength(3);
    const jpeg = await manager.openThumbnail({
      sessionId: session.id,
      userId: user,
      name: thumbnails.items[1]!.name,
    });
    const image = await buffer(jpeg.stream);
    expect([image[0], image[1]]).toEqual([0xff, 0xd8]);
  }, 60_000);

  it('an upload failure mid-save leaves no clip, no object, no multipart upload and no reserved quota', async () => {
    const before = await manager.getQuota({ userId: user });
    const clipsBefore = (await manager.listClips({ userId: user, limit: 100 })).items.length;
    const multipartBefore = clipCalls.get('CreateMultipartUploadCommand') ?? 0;
    failClipUploads = true;
    try {
      await expect(
        manager.captureReplay({ sessionId: session.id, userId: user, durationSeconds: 60 }),
      ).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    } finally {
      failClipUploads = false;
    }
    // The clip was big enough for a multipart upload, which failed on its second part.
    expect(clipCalls.get('CreateMultipartUploadCommand')).toBe(multipartBefore + 1);
    expect(clipCalls.get('AbortMultipartUploadCommand')).toBeGreaterThanOrEqual(1);
    const client = createS3Client(testConfig(server, CLIPS_BUCKET));
    const uploads = await client.send(
      new ListMultipartUploadsCommand({ Bucket: CLIPS_BUCKET, Prefix: 'media/' }),
    );
    expect(uploads.Uploads ?? []).toEqual([]);
    const objects = await client.send(new ListObjectsV2Command({ Bucket: CLIPS_BUCKET, Prefix: 'media/' }));
    expect(objects.Contents?.length).toBe(clipsBefore * 2); // each saved clip and its poster, nothing else
    expect(await manager.getQuota({ userId: user })).toMatchObject({
      usedBytes: before.usedBytes,
      reservedBytes: 0,
    });
    expect((await manager.listClips({ userId: user, limit: 100 })).items).toHaveLength(clipsBefore);
    expect(await readdir(path.join(root, 'clips', '.work')).catch(() => [])).toEqual([]);
    expect(await readdir(path.join(root, 'clip-temp')).catch(() => [])).toEqual([]);
  }, 60_000);
  // Last here: until this instance's next full listing, saves over the hole would still try it.
  it('a hole in the bucket becomes a gap: the clip says so and skips exactly those frames', async () => {
    const { segments } = await manager.getPreview({ sessionId: session.id, userId: user });
    const hole = segments[segments.length - 12]!;
    await createS3Client(segmentsConfig()).send(
      new DeleteObjectCommand({
        Bucket: SEGMENTS_BUCKET,
        Key: `${KEY_PREFIX}/${session.segmentDir}/${hole.name}`,
      }),
    );
    const holeStart = Date.parse(hole.start);
    const holeEnd = holeStart + hole.durationSeconds * 1000;
    // Another instance lists the bucket afresh (this one's incremental listing still knows
    // the object until its next full listing).
    const other = managerWith({}, segmentFactory());
    const dto = await other.captureReplay({
      sessionId: session.id,
      userId: user,
      startAt: holeStart - 3_000,
      endAt: holeEnd + 3_000,
    });
    const clip = (await stores.clips.get(dto.id))!;
    expect(clip.metadata.gaps).toHaveLength(1);
    expect(Date.parse(clip.metadata.gaps[0]!.start)).toBe(holeStart);
    const stamps = await readFrameStamps(await clipFile(clip.storageKey), { referenceMs: Date.now() });
    expect(stamps.filter((s) => s >= holeStart && s < holeEnd)).toEqual([]);
    expect(stamps.filter((s) => s < holeStart).length).toBeGreaterThan(20);
    expect(stamps.filter((s) => s >= holeEnd).length).toBeGreaterThan(20);
    await other.close();
  }, 90_000);
});

describe('retention and cleanup in the bucket', () => {
  it('trims a live session to its window with DeleteObjects batches; reading still works after', async () => {
    const counted = countingClient(segmentsConfig());
    const trimmer = managerWith(
      { bufferDurationSeconds: 20, segmentGraceSeconds: 0 },
      new S3SegmentSourceFactory({
        client: counted.client,
        bucket: SEGMENTS_BUCKET,
        keyPrefix: KEY_PREFIX,
        deleteBatchSize: 4,
      }),
    );
    // The trimming instance's own (fresh) view: the hole made above is not in it.
    const before = (await trimmer.getPreview({ sessionId: session.id, userId: user })).segments;
    const endOf = (s: { start: string; durationSeconds: number }) =>
      Date.parse(s.start) + s.durationSeconds * 1000;
    const trimStart = Date.now();
    const result = await trimmer.cleanupOldSegments();
    const trimEnd = Date.now();
    expect(result.errors).toEqual([]);
    const mustGo = before.filter((s) => endOf(s) < trimStart - 20_000).map((s) => s.name);
    const mustStay = before.filter((s) => endOf(s) >= trimEnd - 20_000).map((s) => s.name);
    expect(mustGo.length).toBeGreaterThan(20);
    expect(result.segmentsDeleted).toBeGreaterThanOrEqual(mustGo.length);
    expect(counted.calls.get('DeleteObjectsCommand')).toBe(Math.ceil(result.segmentsDeleted / 4));
    // What the trimming instance sees now (others see it at their next full listing).
    const after = (await trimmer.getPreview({ sessionId: session.id, userId: user })).segments.map(
      (s) => s.name,
    );
    expect(after.filter((name) => mustGo.includes(name))).toEqual([]);
    expect(mustStay.filter((name) => !after.includes(name))).toEqual([]);
    const keys = await keysUnder(`${KEY_PREFIX}/${session.segmentDir}/`);
    expect(keys.filter((key) => mustGo.some((name) => key.endsWith(`/${name}`)))).toEqual([]);
    const clip = await manager.captureReplay({ sessionId: session.id, userId: user, durationSeconds: 5 });
    expect(Math.abs(clip.durationSeconds - 5)).toBeLessThanOrEqual(0.1);
    await trimmer.close();
  }, 60_000);

  it('deletes every object of a session past retention (segments, playlists, manifest); no local directory', async () => {
    await manager.stopReplayBuffer({ sessionId: session.id, userId: user });
    await emulator.waitForEnd(session.egressId!);
    const prefix = `${KEY_PREFIX}/${session.segmentDir}/`;
    const keys = await keysUnder(prefix);
    expect(keys).toContain(`${prefix}replay.m3u8`);
    expect(keys).toContain(`${prefix}${session.egressId}.json`);
    const sweeper = managerWith({ retainAfterStopSeconds: 0 }, segmentFactory({ deleteBatchSize: 5 }));
    const result = await sweeper.cleanupOldSegments();
    expect(result).toMatchObject({ expiredSessionDirsDeleted: 1, unreferencedDirsDeleted: 0, errors: [] });
    expect(await keysUnder(prefix)).toEqual([]);
    await expect(stat(path.join(root, 'segments-never-created'))).rejects.toMatchObject({ code: 'ENOENT' });
    await sweeper.close();
  }, 60_000);
});
