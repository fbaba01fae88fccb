import { access, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startS3TestServer } from './s3-test-server.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startS3TestServer', () => {
  it('serves the S3 calls the library uses and leaves no port or directory behind', async () => {
    const server = await startS3TestServer({ buckets: ['fixture'] });
    const port = Number(new URL(server.endpoint).port);
    const s3 = new S3Client({
      region: server.region,
      endpoint: server.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    });
    try {
      for (const key of ['a/1.ts', 'a/2.ts', 'a/3 &<>.ts']) {
        await s3.send(new PutObjectCommand({ Bucket: 'fixture', Key: key, Body: key }));
      }
      const deleted = await s3.send(
        new DeleteObjectsCommand({
          Bucket: 'fixture',
          Delete: { Objects: [{ Key: 'a/1.ts' }, { Key: 'a/3 &<>.ts' }, { Key: 'a/missing.ts' }] },
        }),
      );
      expect(deleted.Errors ?? []).toEqual([]);
      const left = await s3.send(new ListObjectsV2Command({ Bucket: 'fixture', Prefix: 'a/' }));
      expect((left.Contents ?? []).map((c) => c.Key)).toEqual(['a/2.ts']);
      expect(server.listObjectsV2Count('fixture')).toBe(1);

      const { UploadId } = await s3.send(
        new CreateMultipartUploadCommand({ Bucket: 'fixture', Key: 'b/big.mp4' }),
      );
      const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fixture', Prefix: 'b/' }));
      expect(listed.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['b/big.mp4', UploadId]]);
      await s3.send(new AbortMultipartUploadCommand({ Bucket: 'fixture', Key: 'b/big.mp4', UploadId }));
      const after = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fixture', Prefix: 'b/' }));
      expect(after.Uploads ?? []).toEqual([]);
      await expect(
        s3.send(new AbortMultipartUploadCommand({ Bucket: 'fixture', Key: 'b/big.mp4', UploadId })),
      ).rejects.toMatchObject({ name: 'NoSuchUpload' });

      // Replacing an object is atomic: the new content in full.
      await s3.send(new PutObjectCommand({ Bucket: 'fixture', Key: 'a/2.ts', Body: 'replaced' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'fixture', Key: 'a/2.ts' }));
      expect(await got.Body?.transformToString()).toBe('replaced');
    } finally {
      s3.destroy();
      await server.close();
    }
    expect(await refused(port)).toBe(true);
    await expect(access(server.directory)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps the objects in a given directory across a restart, and leaves it on close', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'lkr-s3-keep-'));
    const directory = join(parent, 's3');
    try {
      const first = await startS3TestServer({ buckets: ['kept'], directory });
      const client = (endpoint: string) =>
        new S3Client({
          region: first.region,
          endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: first.accessKeyId, secretAccessKey: first.secretAccessKey },
        });
      const before = client(first.endpoint);
      await before.send(new PutObjectCommand({ Bucket: 'kept', Key: 'clips/a.mp4', Body: 'bytes' }));
      before.destroy();
      await first.close();
      await access(directory);

      const second = await startS3TestServer({ buckets: ['kept'], directory });
      const after = client(second.endpoint);
      try {
        const object = await after.send(new GetObjectCommand({ Bucket: 'kept', Key: 'clips/a.mp4' }));
        expect(await object.Body?.transformToString()).toBe('bytes');
      } finally {
        after.destroy();
        await second.close();
      }
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
