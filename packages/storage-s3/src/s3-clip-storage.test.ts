import { createHash, randomBytes } from 'node:crypto';
import { access, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { isReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { type S3TestServer, startS3TestServer } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingClient, testConfig } from '../test/helpers.js';
import { createS3Client, S3ClipStorage } from './index.js';

const MIB = 1024 * 1024;
let server: S3TestServer;
const tempDir = path.join(tmpdir(), `s3-clip-test-${process.pid}-${Date.now()}`);

beforeAll(async () => {
  server = await startS3TestServer({ buckets: ['clips-default', 'clips-required'] });
});
afterAll(async () => {
  await server?.close();
  await rm(tempDir, { recursive: true, force: true });
});

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

describe.each([
  ['WHEN_SUPPORTED', 'clips-default'],
  ['WHEN_REQUIRED', 'clips-required'],
] as const)('S3ClipStorage with checksums %s', (checksums, bucket) => {
  it('round-trips a multipart upload with its SHA-256, reads ranges and removes the temp file', async () => {
    const client = createS3Client(testConfig(server, bucket, checksums));
    const storage = new S3ClipStorage({
      client,
      bucket,
      keyPrefix: 'replay',
      tempDir,
      partSizeBytes: 5 * MIB,
    });
    const content = randomBytes(12 * MIB + 12345); // three parts
    const pending = await storage.beginWrite('clips/clip_round.mp4');
    await writeFile(pending.path, content);
    const result = await pending.commit();
    expect(result).toEqual({
      key: 'clips/clip_round.mp4',
      sizeBytes: content.length,
      sha256: createHash('sha256').update(content).digest('hex'),
    });
    expect(await exists(pending.path)).toBe(false);
    expect(await storage.size('clips/clip_round.mp4')).toBe(content.length);

    const whole = await buffer(await storage.openRead('clips/clip_round.mp4'));
    expect(whole.equals(content)).toBe(true);
    const start = 5 * MIB - 10;
    const part = await buffer(await storage.openRead('clips/clip_round.mp4', { start, end: start + 99 }));
    expect(part.equals(content.subarray(start, start + 100))).toBe(true);

    await expect(
      storage.openRead('clips/clip_round.mp4', { start: 0, end: content.length }),
    ).rejects.toMatchObject({
      code: ReplayErrorCode.RANGE_NOT_SATISFIABLE,
      details: { size: content.length },
    });

    await storage.delete('clips/clip_round.mp4');
    expect(await storage.size('clips/clip_round.mp4')).toBeNull();
    await storage.delete('clips/clip_round.mp4'); // already gone: fine
    await expect(storage.openRead('clips/clip_round.mp4')).rejects.toMatchObject({
      code: ReplayErrorCode.CLIP_NOT_FOUND,
    });
  });

  it('serves a presigned GET with Range and Content-Disposition', async () => {
    const client = createS3Client(testConfig(server, bucket, checksums));
    const storage = new S3ClipStorage({ client, bucket, tempDir });
    const content = randomBytes(300_000);
    const pending = await storage.beginWrite('posters/clip_p.jpg');
    await writeFile(pending.path, content);
    await pending.commit();

    const url = await storage.presignGet('posters/clip_p.jpg', {
      expiresInSeconds: 60,
      fileName: 'My clip é.jpg',
    });
    const ranged = await fetch(url, { headers: { Range: 'bytes=1000-1999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${content.length}`);
    expect(ranged.headers.get('content-disposition')).toContain('attachment; filename="My clip _.jpg"');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(content.subarray(1000, 2000))).toBe(true);

    const whole = await fetch(url);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(content)).toBe(true);

    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('60');
    await expect(storage.presignGet('posters/clip_p.jpg', { expiresInSeconds: 0 })).rejects.toMatchObject({
      code: ReplayErrorCode.INVALID_INPUT,
    });
  });
});

describe('S3ClipStorage failures', () => {
  it('aborts the multipart upload when a part fails mid-way: no orphan, no object, temp removed', async () => {
    const bucket = 'clips-default';
    const { client, calls } = countingClient(testConfig(server, bucket));
    let parts = 0;
    // The second part's request fails as a dropped connection would.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if ((context as { commandName?: string }).commandName === 'UploadPartCommand' && ++parts === 2) {
          throw Object.assign(new Error('socket hang up'), { name: 'NetworkingError' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failSecondPart' },
    );
    const storage = new S3ClipStorage({
      client,
      bucket,
      keyPrefix: 'fail',
      tempDir,
      partSizeBytes: 5 * MIB,
      queueSize: 1,
    });
    const pending = await storage.beginWrite('clips/clip_fail.mp4');
    await writeFile(pending.path, randomBytes(11 * MIB));

    const error = await pending.commit().then(
      () => null,
      (e: unknown) => e,
    );
    expect(isReplayBufferError(error) && error.code).toBe(ReplayErrorCode.STORAGE_ERROR);
    expect(calls.get('CreateMultipartUploadCommand')).toBe(1);
    expect(calls.get('AbortMultipartUploadCommand')).toBeGreaterThanOrEqual(1);
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'fail/' }));
    expect(listed.Uploads ?? []).toEqual([]);
    expect(await storage.size('clips/clip_fail.mp4')).toBeNull();
    expect(await exists(pending.path)).toBe(false);
    expect((await readdir(tempDir)).filter((f) => f.includes('clip_fail'))).toEqual([]);
  });

  it('sweeps a temp file and a multipart upload left behind by a crashed process', async () => {
    const bucket = 'clips-default';
    const client = createS3Client(testConfig(server, bucket));
    const { CreateMultipartUploadCommand } = await import('@aws-sdk/client-s3');
    await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'crash/clips/clip_c.mp4' }));
    const crashDir = path.join(tempDir, 'crash');
    const storage = new S3ClipStorage({ client, bucket, keyPrefix: 'crash', tempDir: crashDir });
    const abandoned = await storage.beginWrite('clips/clip_c.mp4');
    await writeFile(abandoned.path, 'partial');
    expect(await storage.sweepPartialWrites(60_000)).toBe(0); // too recent
    expect(await storage.sweepPartialWrites(0, Date.now() + 1000)).toBe(2);
    expect(await exists(abandoned.path)).toBe(false);
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'crash/' }));
    expect(listed.Uploads ?? []).toEqual([]);
  });

  it('refuses keys that could escape their prefix', async () => {
    const storage = new S3ClipStorage({
      client: createS3Client(testConfig(server, 'clips-default')),
      bucket: 'clips-default',
      tempDir,
    });
    for (const key of ['../x.mp4', 'clips//x.mp4', '/abs.mp4', 'clips/a b.mp4', '']) {
      await expect(storage.beginWrite(key)).rejects.toMatchObject({ code: ReplayErrorCode.INVALID_INPUT });
      await expect(storage.size(key)).rejects.toMatchObject({ code: ReplayErrorCode.INVALID_INPUT });
    }
  });
});
