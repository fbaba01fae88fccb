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
  const blocked = uniqueUser('s3-blocked');
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
      manager: {
        storage,
        coordination: { rateLimiter: false },
        hooks: { authorize: (context) => !(context.userId === blocked && context.action === 'view_clip') },
      },
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

  it('a public clip redirects viewers the authorize hook allows, and no one else', async () => {
    const patched = await env.app.request(`${API}/clips/${clip.id}`, {
      method: 'PATCH',
      user: owner,
      json: { visibility: 'public' },
    });
    expect(patched.status).toBe(200);
    const allowed = await env.app.request(`${API}/clips/${clip.id}/file`, {
      user: other,
      redirect: 'manual',
    });
    expect(allowed.status).toBe(302);
    expect((await fetch(allowed.headers.get('location')!, { method: 'HEAD' })).status).toBe(200);
    const refused = await env.app.request(`${API}/clips/${clip.id}/file`, {
      user: blocked,
      redirect: 'manual',
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('location')).toBeNull();
  });

  it('delete removes the object from the bucket', async () => {
    const key = `clips/${clip.id}.mp4`;
    expect(await storage.size(key)).toBe(clip.sizeBytes);
    const res = await env.app.request(`${API}/clips/${clip.id}`, { method: 'DELETE', user: owner });
    expect(res.status).toBe(200);
    expect(await storage.size(key)).toBeNull();
  });
});

// `redirectDownloads: false`: the same S3 storage, read through the app (bytes proxied).
describe('clips in S3 with redirectDownloads: false', () => {
  const owner = uniqueUser('s3-proxy');
  const tempDir = path.join(tmpdir(), `lkr-nest-s3-proxy-${process.pid}`);
  let s3: S3TestServer;
  let env: ReplayEnv;

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
    env = await startReplayEnv({
      historySeconds: 30,
      manager: {
        storage: new S3ClipStorage({ client, bucket: BUCKET, tempDir }),
        coordination: { rateLimiter: false },
      },
      module: { redirectDownloads: false },
    });
  }, 180_000);
  afterAll(async () => {
    await env?.close();
    await s3?.close();
    await rm(tempDir, { recursive: true, force: true });
  });

  it('serves the file and a byte range from the bucket through the route', async () => {
    const started = await env.app.request(`${API}/start`, {
      method: 'POST',
      user: owner,
      json: { roomName: 'room-s3-proxy', videoTrackId: 'TR_s3p' },
    });
    const session = await started.json();
    await env.emulator.waitForSegments(session.egressId, 8, { timeoutMs: 120_000 });
    const saved = await env.app.request(`${API}/capture`, {
      method: 'POST',
      user: owner,
      json: { durationSeconds: 10 },
    });
    expect(saved.status).toBe(201);
    const clip: ClipDto = await saved.json();
    const whole = await env.app.request(`${API}/clips/${clip.id}/file`, { user: owner, redirect: 'manual' });
    expect(whole.status).toBe(200);
    const file = Buffer.from(await whole.arrayBuffer());
    expect(createHash('sha256').update(file).digest('hex')).toBe(clip.sha256);
    const part = await env.app.request(`${API}/clips/${clip.id}/file`, {
      user: owner,
      redirect: 'manual',
      headers: { Range: 'bytes=100-199' },
    });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(file.subarray(100, 200))).toBe(true);
    const poster = await env.app.request(`${API}/clips/${clip.id}/poster`, {
      user: owner,
      redirect: 'manual',
    });
    expect(poster.status).toBe(200);
    expect(poster.headers.get('content-type')).toBe('image/jpeg');
  }, 150_000);
});
