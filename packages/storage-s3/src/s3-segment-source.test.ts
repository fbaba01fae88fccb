import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { SegmentedFileOutput, SegmentedFileSuffix } from '@livekit/protocol';
import { ReplayErrorCode } from '@livekit-replay/core';
import { defaultSegmentProber, type Segment, type SegmentSourceLayout } from '@livekit-replay/core/adapter';
import {
  type EgressEmulator,
  type S3TestServer,
  startEgressEmulator,
  startS3TestServer,
} from '@livekit-replay/testing';
import { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingClient, testConfig } from '../test/helpers.js';
import {
  createS3Client,
  egressWebhooks,
  S3SegmentSource,
  type S3SegmentSourceOptions,
  withS3Upload,
} from './index.js';

const BUCKET = 'segments';
let server: S3TestServer;
let emu: EgressEmulator;
let s3: S3Client;
let egressId: string;

const layoutFor = (dir: string): SegmentSourceLayout => ({
  dir,
  filenamePrefix: 'seg',
  playlistName: 'index.m3u8',
  livePlaylistName: 'live.m3u8',
  naming: 'INDEX',
  segmentDurationSeconds: 2,
});

function source(dir: string, options: Partial<S3SegmentSourceOptions> = {}) {
  const counted = countingClient(testConfig(server, BUCKET));
  return {
    calls: counted.calls,
    source: new S3SegmentSource({
      client: counted.client,
      bucket: BUCKET,
      layout: layoutFor(dir),
      ...options,
    }),
  };
}

async function startRecording(
  room: string,
  dir: string,
  naming: 'INDEX' | 'TIMESTAMP' = 'INDEX',
): Promise<string> {
  const client = new EgressClient(emu.url, emu.apiKey, emu.apiSecret);
  const output = withS3Upload(
    new SegmentedFileOutput({
      filenamePrefix: `${dir}/seg`,
      playlistName: 'index.m3u8',
      livePlaylistName: 'live.m3u8',
      segmentDuration: 2,
      filenameSuffix: naming === 'TIMESTAMP' ? SegmentedFileSuffix.TIMESTAMP : SegmentedFileSuffix.INDEX,
    }),
    testConfig(server, BUCKET, 'WHEN_REQUIRED'),
  );
  const info = await client.startTrackCompositeEgress(room, output, {
    videoTrackId: 'TR_v',
    audioTrackId: 'TR_a',
    webhooks: egressWebhooks([{ url: 'https://replay.example.test/livekit/webhook', signingKey: 'APIkey' }]),
  });
  return info.egressId;
}

const ends = (s: Segment) => s.startMs + s.durationSeconds * 1000;

beforeAll(async () => {
  server = await startS3TestServer({ buckets: [BUCKET] });
  s3 = createS3Client(testConfig(server, BUCKET));
  emu = await startEgressEmulator({ cloud: true, maxFrameRate: 5, maxHeight: 180, historySeconds: 40 });
  egressId = await startRecording('room-1', 'rooms/room-1/user-1');
  await emu.waitForSegments(egressId, 18);
});
afterAll(async () => {
  await emu?.close();
  s3?.destroy();
  await server?.close();
});

describe('egress to S3 through the real SDK', () => {
  it('hands the configured S3Upload and the per-egress webhooks to egress', () => {
    const request = emu.getEgress(egressId)?.info.request;
    if (request?.case !== 'trackComposite') throw new Error('expected a track composite request');
    const segments =
      request.value.output.case === 'segments' ? request.value.output.value : request.value.segmentOutputs[0];
    expect(segments?.output.case).toBe('s3');
    const upload = segments?.output.value;
    expect(upload).toMatchObject({
      accessKey: server.accessKeyId,
      secret: server.secretAccessKey,
      region: server.region,
      endpoint: server.endpoint,
      bucket: BUCKET,
      forcePathStyle: true,
    });
    expect(request.value.webhooks.map((w) => [w.url, w.signingKey])).toEqual([
      ['https://replay.example.test/livekit/webhook', 'APIkey'],
    ]);
  });
});

describe('S3SegmentSource', () => {
  it('merges the playlists with the listing: contiguous segments with the egress timing', async () => {
    const { source: src } = source('rooms/room-1/user-1');
    const snapshot = await src.list();
    const recorded = emu.getEgress(egressId)?.segments ?? [];
    expect(snapshot.playlistFound).toBe(true);
    expect(snapshot.segments.length).toBeGreaterThanOrEqual(18);
    expect(snapshot.gaps).toEqual([]);
    for (const segment of snapshot.segments) {
      const truth = recorded.find((r) => r.name === segment.name);
      expect(truth).toBeDefined();
      expect(segment.startMs).toBe(truth?.pdtMs);
      expect(segment.durationSeconds).toBeCloseTo(truth?.durationS ?? 0, 3);
      expect(segment.path).toBe(`rooms/room-1/user-1/${segment.name}`);
      expect(segment.timing).toBe('playlist');
    }
  });

  it('lists incrementally: one ListObjectsV2 per list(), starting after the last settled key', async () => {
    const { source: src, calls } = source('rooms/room-1/user-1', { lateUploadWindowMs: 0 });
    const first = await src.list();
    const before = server.listObjectsV2Count(BUCKET);
    const lastKey = first.segments.at(-1)?.path;
    const have = emu.getEgress(egressId)?.s3?.uploadedSegments ?? 0;
    await emu.waitForSegments(egressId, have + 2);
    const second = await src.list();
    expect(calls.get('ListObjectsV2Command')).toBe(2);
    expect(server.listObjectsV2Count(BUCKET) - before).toBe(1);
    const request = server.requests.filter((r) => r.query['list-type'] === '2').at(-1);
    // The newest known object may have been pending (no later one yet): it is the resume point.
    expect(String(request?.query['start-after']) >= String(lastKey)).toBe(true);
    expect(second.segments.length).toBeGreaterThan(first.segments.length);
    expect(second.segments.slice(0, first.segments.length)).toEqual(first.segments);
  });

  it('uses segments the main playlist has not caught up with, probed and placed after their predecessor', async () => {
    const room = 'room-lag';
    emu.setHistorySeconds(24, room);
    // The main playlist of this egress lags 9 segments from its first upload on (others unchanged).
    emu.faults.setPlaylistLag(0, egressId);
    emu.faults.setPlaylistLag(9);
    const id = await startRecording(room, 'lag');
    emu.faults.setPlaylistLag(9, id);
    emu.faults.setPlaylistLag(0);
    await emu.waitForSegments(id, 12);
    const { source: src } = source('lag');
    const snapshot = await src.list();
    const recorded = emu.getEgress(id)?.segments ?? [];
    const probed = snapshot.segments.filter((s) => s.timing === 'probed');
    expect(probed.length).toBeGreaterThanOrEqual(3); // behind the main playlist, before the live window
    expect(snapshot.gaps).toEqual([]);
    for (const segment of snapshot.segments) {
      const truth = recorded.find((r) => r.name === segment.name);
      expect(Math.abs(segment.startMs - (truth?.pdtMs ?? 0))).toBeLessThan(5);
      expect(Math.abs(segment.durationSeconds - (truth?.durationS ?? 0))).toBeLessThan(0.05);
    }
    emu.faults.setPlaylistLag(0, id);
    await emu.stopEgress(id);
  });

  it('TIMESTAMP names: segments behind a lagging main playlist are timed by their names', async () => {
    const room = 'room-ts';
    emu.setHistorySeconds(24, room);
    emu.faults.setPlaylistLag(0, egressId);
    emu.faults.setPlaylistLag(9);
    const id = await startRecording(room, 'ts', 'TIMESTAMP');
    emu.faults.setPlaylistLag(9, id);
    emu.faults.setPlaylistLag(0);
    await emu.waitForSegments(id, 12);
    const src = new S3SegmentSource({
      client: s3,
      bucket: BUCKET,
      layout: { ...layoutFor('ts'), naming: 'TIMESTAMP' },
    });
    const snapshot = await src.list();
    const recorded = emu.getEgress(id)?.segments ?? [];
    expect(snapshot.segments.filter((s) => s.timing === 'filename').length).toBeGreaterThanOrEqual(3);
    expect(snapshot.segments.length).toBeGreaterThanOrEqual(11);
    expect(snapshot.gaps).toEqual([]);
    for (const segment of snapshot.segments) {
      const truth = recorded.find((r) => r.name === segment.name);
      expect(truth).toBeDefined();
      expect(Math.abs(segment.startMs - (truth?.pdtMs ?? 0))).toBeLessThan(5);
      expect(Math.abs(segment.durationSeconds - (truth?.durationS ?? 0))).toBeLessThan(0.05);
    }
    await emu.stopEgress(id);
  });

  it('shows a missing segment object as a gap, and reading a vanished one fails with RANGE_UNAVAILABLE', async () => {
    const { source: cached } = source('rooms/room-1/user-1');
    const before = await cached.list();
    const victim = before.segments[5] as Segment;
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: victim.path }));
    const { source: fresh } = source('rooms/room-1/user-1');
    const after = await fresh.list();
    expect(after.segments.map((s) => s.name)).not.toContain(victim.name);
    const previous = before.segments[4] as Segment;
    expect(after.gaps[0]?.startMs).toBe(ends(previous));
    expect(after.gaps[0]?.durationSeconds).toBeCloseTo(victim.durationSeconds, 3);
    const stream = await cached.open(victim);
    await expect(stream.toArray()).rejects.toMatchObject({ code: ReplayErrorCode.RANGE_UNAVAILABLE });
  });

  it('never uses a segment whose upload is still in progress, and finds it once complete', async () => {
    const room = 'room-held';
    emu.setHistorySeconds(6, room);
    const id = await startRecording(room, 'held');
    await emu.waitForSegments(id, 2);
    const heldIndex = (emu.getEgress(id)?.segments.length ?? 0) + 2;
    const held = emu.holdSegmentUpload(id, heldIndex);
    await held.started;
    await emu.waitForSegments(id, heldIndex + 2); // two later segments uploaded and listed
    const { source: src } = source('held');
    const during = await src.list();
    const heldName = `seg_${String(heldIndex).padStart(5, '0')}.ts`;
    expect(during.segments.map((s) => s.name)).not.toContain(heldName);
    expect(during.segments.map((s) => s.name)).toContain(`seg_${String(heldIndex + 1).padStart(5, '0')}.ts`);
    expect(during.gaps.length).toBe(1);
    held.release();
    await emu.stopEgress(id);
    const after = await src.list(); // the same source: the late key sorts before the newest one
    expect(after.segments.map((s) => s.name)).toContain(heldName);
    expect(after.gaps).toEqual([]);
    expect(after.ended).toBe(true);
  });

  it('streams selected segments with bounded parallel ranged GETs; ffmpeg reads the joined bytes with the right duration', async () => {
    const { client } = countingClient(testConfig(server, BUCKET));
    let inflight = 0;
    let maxInflight = 0;
    let gets = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if ((context as { commandName?: string }).commandName !== 'GetObjectCommand') return next(args);
        gets++;
        maxInflight = Math.max(maxInflight, ++inflight);
        try {
          return await next(args);
        } finally {
          inflight--;
        }
      },
      { step: 'initialize', name: 'inflightCounter' },
    );
    const src = new S3SegmentSource({
      client,
      bucket: BUCKET,
      layout: layoutFor('rooms/room-1/user-1'),
      partSizeBytes: 64 * 1024,
      concurrency: 3,
    });
    const snapshot = await src.list();
    const from = snapshot.segments.findIndex((s) => s.name === 'seg_00008.ts');
    const selected = snapshot.segments.slice(from, from + 5); // 10 s
    gets = 0;
    const joined = Buffer.concat(await src.openMany(selected).toArray());
    const chunks = selected.reduce((n, s) => n + Math.ceil(s.sizeBytes / (64 * 1024)), 0);
    expect(gets).toBe(chunks);
    expect(maxInflight).toBeLessThanOrEqual(3);
    expect(maxInflight).toBeGreaterThan(1);
    const direct = await Promise.all(
      selected.map(async (s) => {
        const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: s.path }));
        return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
      }),
    );
    expect(joined.equals(Buffer.concat(direct))).toBe(true);

    const dir = await mkdtemp(join(tmpdir(), 's3-join-'));
    try {
      const file = join(dir, 'joined.ts');
      await writeFile(file, joined);
      const probe = await defaultSegmentProber()(file);
      const expected = selected.reduce((sum, s) => sum + s.durationSeconds, 0);
      expect(Math.abs(probe.durationSeconds - expected)).toBeLessThanOrEqual(0.1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    const ranged = Buffer.concat(
      await (await src.open(selected[0] as Segment, { range: { start: 100, end: 70_000 } })).toArray(),
    );
    expect(ranged.equals((direct[0] as Buffer).subarray(100, 70_001))).toBe(true);
  });

  it('deletes old segments in DeleteObjects batches and refuses names that are not segments', async () => {
    const { source: src, calls } = source('rooms/room-1/user-1', { deleteBatchSize: 3 });
    const snapshot = await src.list();
    const old = snapshot.segments.slice(0, 7);
    expect(await src.deleteSegments(old)).toBe(7);
    expect(calls.get('DeleteObjectsCommand')).toBe(3);
    const left = await s3.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'rooms/room-1/user-1/seg_' }),
    );
    const keys = (left.Contents ?? []).map((c) => c.Key);
    for (const s of old) expect(keys).not.toContain(s.path);
    const after = await src.list();
    expect(after.segments[0]?.name).toBe(snapshot.segments[7]?.name);
    await expect(src.deleteSegments([{ name: 'index.m3u8' }])).rejects.toMatchObject({
      code: ReplayErrorCode.INVALID_INPUT,
    });
    await expect(src.deleteSegments([{ name: '../other/seg_00001.ts' }])).rejects.toMatchObject({
      code: ReplayErrorCode.INVALID_INPUT,
    });
    const playlist = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'rooms/room-1/user-1/index.m3u8' }),
    );
    expect(playlist.ContentLength).toBeGreaterThan(0);
  });
});
