import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { ClipDto } from '@livekit-replay/core/contract';
import { createS3Client, S3ClipStorage } from '@livekit-replay/storage-s3';
import { type S3TestServer, startS3TestServer } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayEnv, startReplayEnv, uniqueUser } from './support/replay-env.js';

const API = 'livekit/replay';
const BUCKET = 'replay-clips';

// Clips kept in a real S3-compatible bucket (s3rver): the Nest routes redirect downloads to
// presigned URLs instead of proxying bytes, after the same access check.
describe('clips in S3 behind the Nest routes', () => {
  const owner = uniqueUser('s3-owner');
  const other = uniqueUser('s3-other');
  const tempDir = path.join(tmpdir(), `lkr-nest-s3-clips-${process.pid}`);
  let s3: S3TestServer;
  let storage: S3ClipStorage;
  let env: ReplayEnv;
  let clip: ClipDto;

  beforeAll(async () => {
    s3 = await startS3TestServer({ buckets: [BUCKET] });
    const client = createS3Client({
      bucket: BUCKET,
      region: s3.region,
      endpoint: s3.endpoint,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
    });
    storage = new S3ClipStorage({ client, bucket: BUCKET, keyPrefix: 'replay', tempDir });
    env = await startReplayEnv({
      historySeconds: 30,
      manager: { storage, coordination: { rateLimiter: false } },
    });
  }, 180_000);
  afterAll(async () => {
    await env?.close();
    await s3?.close();
    await rm(tempDir, { recursive: true, force: true });
  });

  it('captures 10 s into the bucket with the clip SHA-256', async () => {
    const started = await env.app.request(`${API}/start`, {
      method: 'POST',
      user: owner,
      json: { roomName: 'room-s3', videoTrackId: 'TR_s3' },
    });
    expect(started.status).toBe(200);
    const session = await started.json();
    await env.emulator.waitForSegments(session.egressId, 8, { timeoutMs: 120_000 });
    const saved = await env.app.request(`${API}/capture`, {
      method: 'POST',
      user: owner,
      json: { durationSeconds: 10 },
    });
    expect(saved.status).toBe(201);
    clip = await saved.json();
    expect(clip.durationSeconds).toBeGreaterThan(9.9);
    expect(clip.durationSeconds).toBeLessThan(10.1);
    const stored = await buffer(await storage.openRead(`clips/${clip.id}.mp4`));
    expect(stored.length).toBe(clip.sizeBytes);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(clip.sha256);
  }, 150_000);

  it('GET file answers 302 to a presigned URL that serves byte ranges', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await env.app.request(`${API}/clips/${clip.id}/file`, {
        method,
        user: owner,
        redirect: 'manual',
      });
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const res = await env.app.request(`${API}/clips/${clip.id}/file`, { user: owner, redirect: 'manual' });
    const location = res.headers.get('location');
    expect(location?.startsWith(`${s3.endpoint}/${BUCKET}/replay/clips/${clip.id}.mp4?`)).toBe(true);
    const part = await fetch(location!, { headers: { Range: 'bytes=0-99' } });
    expect(part.status).toBe(206);
    const bytes = Buffer.from(await part.arrayBuffer());
    const whole = await fetch(location!);
    expect(whole.status).toBe(200);
    const file = Buffer.from(await whole.arrayBuffer());
    expect(createHash('sha256').update(file).digest('hex')).toBe(clip.sha256);
    expect(bytes.equals(file.subarray(0, 100))).toBe(true);
    expect(whole.headers.get('content-disposition')).toMatch(/^attachment; filename="[^"]+\.mp4"/);

    const poster = await env.app.request(`${API}/clips/${clip.id}/poster`, {
      user: owner,
      redirect: 'manual',
    });
    expect(poster.status).toBe(302);
    const image = await fetch(poster.headers.get('location')!);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
  });

  it('another user gets no URL for a private clip', async () => {
    for (const kind of ['file', 'poster']) {
      const res = await env.app.request(`${API}/clips/${clip.id}/${kind}`, {
        user: other,
        redirect: 'manual',
      });
      expect([403, 404]).toContain(res.status);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('delete removes the object from the bucket', async () => {
    const key = `clips/${clip.id}.mp4`;
    expect(await storage.size(key)).toBe(clip.sizeBytes);
    const res = await env.app.request(`${API}/clips/${clip.id}`, { method: 'DELETE', user: owner });
    expect(res.status).toBe(200);
    expect(await storage.size(key)).toBeNull();
  });
});
