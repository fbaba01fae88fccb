import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EgressInfo, S3Upload } from '@livekit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3TestServer } from '../s3/s3-test-server.js';
import type { SegmentRecord } from './egress-process.js';
import { S3SegmentUploader } from './s3-uploader.js';
import { parsePlaylist } from './test-helpers.js';

const BUCKET = 'cadence';
let server: S3TestServer;
let s3: S3Client;
let dir: string;

beforeAll(async () => {
  server = await startS3TestServer({ buckets: [BUCKET] });
  s3 = new S3Client({
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  dir = await mkdtemp(join(tmpdir(), 's3-uploader-test-'));
});
afterAll(async () => {
  s3?.destroy();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function segment(index: number): Promise<SegmentRecord> {
  const name = `seg_${String(index).padStart(5, '0')}.ts`;
  const path = join(dir, name);
  await writeFile(path, Buffer.alloc(1000, index));
  return {
    index,
    name,
    path,
    startFrame: index * 10,
    frameCount: 10,
    pdtMs: 1_700_000_000_000 + index * 1000,
    durationS: 1,
    size: 1000,
    completedAt: 0,
  };
}

function mainPuts(key: string): number {
  return server.requests.filter((r) => r.method === 'PUT' && r.path === `/${BUCKET}/${key}`).length;
}

async function mainEntries(key: string): Promise<number> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return parsePlaylist((await response.Body?.transformToString()) ?? '').entries.length;
}

describe('S3SegmentUploader: main playlist cadence', () => {
  it('uploads the main playlist every (hours elapsed + 1) segments, or after a minute, and the live one every time', async () => {
    let now = 10 * 3_600_000;
    const uploaded: number[] = [];
    const uploader = new S3SegmentUploader({
      upload: new S3Upload({
        accessKey: server.accessKeyId,
        secret: server.secretAccessKey,
        region: server.region,
        endpoint: server.endpoint,
        bucket: BUCKET,
        forcePathStyle: true,
      }),
      playlistKey: 'c/index.m3u8',
      livePlaylistKey: 'c/live.m3u8',
      manifestKey: 'c/EG_x.json',
      segmentKey: (name) => `c/${name}`,
      segmentSeconds: 1,
      startedAtMs: now - 2 * 3_600_000 - 1, // two hours in: every third segment
      playlistLag: () => 0,
      onUploaded: () => uploaded.push(uploader.published),
      onError: (message) => {
        throw new Error(message);
      },
      now: () => now,
    });
    const addAndWait = async (index: number) => {
      uploader.add(await segment(index));
      await expect.poll(() => uploader.published).toBe(index + 1);
    };
    for (let i = 0; i < 6; i++) await addAndWait(i);
    expect(mainPuts('c/live.m3u8')).toBe(6);
    expect(mainPuts('c/index.m3u8')).toBe(2);
    expect(await mainEntries('c/index.m3u8')).toBe(6);

    await addAndWait(6); // one segment since the last main upload: not due yet
    expect(mainPuts('c/index.m3u8')).toBe(2);
    now += 60_000; // …but a minute later it is
    await addAndWait(7);
    expect(mainPuts('c/index.m3u8')).toBe(3);
    expect(await mainEntries('c/index.m3u8')).toBe(8);

    await uploader.finish(new EgressInfo({ egressId: 'EG_x', roomName: 'r' }));
    expect(mainPuts('c/index.m3u8')).toBe(4);
    expect(uploaded).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
