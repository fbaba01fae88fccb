import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReplayErrorCode } from '@livekit-replay/core';
import type { SegmentSourceLayout } from '@livekit-replay/core/adapter';
import { type S3TestServer, startS3TestServer } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingClient, testConfig } from '../test/helpers.js';
import { S3SegmentSourceFactory } from './index.js';

const BUCKET = 'factory';
let server: S3TestServer;

const layout = (dir: string): SegmentSourceLayout => ({
  dir,
  filenamePrefix: 'replay',
  playlistName: 'replay.m3u8',
  livePlaylistName: 'replay-live.m3u8',
  naming: 'INDEX',
  segmentDurationSeconds: 2,
});

async function put(client: S3Client, key: string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
}

beforeAll(async () => {
  server = await startS3TestServer({ buckets: [BUCKET] });
});
afterAll(async () => {
  await server?.close();
});

describe('S3SegmentSourceFactory', () => {
  it('keeps one source per session under its key prefix, until released or beyond maxSources', () => {
    const { client } = countingClient(testConfig(server, BUCKET));
    const factory = new S3SegmentSourceFactory({
      client,
      bucket: BUCKET,
      keyPrefix: 'egress/',
      maxSources: 2,
    });
    const a = factory.forLayout(layout('rs_a'));
    expect(a.keyPrefix).toBe('egress/rs_a/');
    expect(factory.forLayout(layout('rs_a'))).toBe(a);
    factory.release({ dir: 'rs_a' });
    const a2 = factory.forLayout(layout('rs_a'));
    expect(a2).not.toBe(a);
    factory.forLayout(layout('rs_b'));
    factory.forLayout(layout('rs_c')); // rs_a is now the least recently used of three
    expect(factory.forLayout(layout('rs_a'))).not.toBe(a2);
    // Another layout for the same directory (other names) gets its own source.
    const b = factory.forLayout(layout('rs_b'));
    expect(factory.forLayout({ ...layout('rs_b'), playlistName: 'other.m3u8' })).not.toBe(b);
  });

  it('refuses directory names that could leave the prefix', () => {
    const { client } = countingClient(testConfig(server, BUCKET));
    const factory = new S3SegmentSourceFactory({ client, bucket: BUCKET, keyPrefix: 'egress' });
    for (const dir of ['..', '../rs_a', 'a/b', '', 'rs_a/']) {
      expect(() => factory.forLayout(layout(dir))).toThrow(
        expect.objectContaining({ code: ReplayErrorCode.INVALID_INPUT }),
      );
    }
  });

  it('lists session prefixes and deletes one session prefix in DeleteObjects batches, nothing else', async () => {
    const { client, calls } = countingClient(testConfig(server, BUCKET));
    const factory = new S3SegmentSourceFactory({
      client,
      bucket: BUCKET,
      keyPrefix: 'lists',
      deleteBatchSize: 3,
    });
    const names = ['replay_00000.ts', 'replay_00001.ts', 'replay_00002.ts', 'replay_00003.ts'];
    for (const name of [...names, 'replay.m3u8', 'replay-live.m3u8', 'EG_x.json']) {
      await put(client, `lists/rs_gone/${name}`);
    }
    await put(client, 'lists/rs_kept/replay_00000.ts');
    await put(client, 'lists/rs_gone_sibling.txt');
    await put(client, 'elsewhere/rs_gone/replay_00000.ts');
    expect((await factory.listDirs()).sort()).toEqual(['rs_gone', 'rs_kept']);

    await factory.deleteLayout({ dir: 'rs_gone' });
    expect(calls.get('DeleteObjectsCommand')).toBe(3); // 7 objects, 3 a request
    expect((await factory.listDirs()).sort()).toEqual(['rs_kept']);
    const source = factory.forLayout(layout('rs_kept'));
    expect((await source.list()).segments.map((s) => s.name)).toEqual([]); // the newest is never used alone
    await factory.deleteLayout({ dir: 'rs_never_written' }); // nothing there: fine
    await expect(factory.deleteLayout({ dir: '../lists' })).rejects.toMatchObject({
      code: ReplayErrorCode.INVALID_INPUT,
    });
  });
});
