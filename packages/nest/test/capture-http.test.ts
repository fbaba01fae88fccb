import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatedPipeline } from './support/gated-pipeline.js';
import { entries, ffmpegProcessesMentioning } from './support/processes.js';
import { type ReplayEnv, startReplayEnv, uniqueUser } from './support/replay-env.js';

const API = 'livekit/replay';
/** Where core cuts downloads (clipsDir/.work/dl_…), removed when the stream closes. */
const WORK = '.work';

// The production save limits (3 a minute) and the download route, over real HTTP.
describe('GET stream and the save rate limit', () => {
  const streamer = uniqueUser('streamer');
  const saver = uniqueUser('saver');
  let env: ReplayEnv;
  const media = new GatedPipeline();

  async function startBuffer(user: string, roomName: string): Promise<void> {
    const res = await env.app.request(`${API}/start`, {
      method: 'POST',
      user,
      json: { roomName, videoTrackId: `TR_${roomName}`, audioTrackId: `TA_${roomName}` },
    });
    expect(res.status).toBe(200);
    const { egressId } = await res.json();
    await env.emulator.waitForSegments(egressId, 25, { timeoutMs: 150_000 });
  }

  beforeAll(async () => {
    env = await startReplayEnv({ historySeconds: 60, manager: { media } });
    await startBuffer(streamer, 'room-stream');
    await startBuffer(saver, 'room-save');
  }, 240_000);
  afterAll(() => env?.close());

  it('streams the last N seconds as an MP4 attachment and leaves no temp file', async () => {
    const res = await env.app.request(`${API}/stream?durationSeconds=6&mode=fast`, { user: streamer });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="replay-[\w-]+\.mp4"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(bytes.length).toBe(Number(res.headers.get('content-length')));
    await expect.poll(() => entries(path.join(env.clipsDir, WORK)), { timeout: 10_000 }).toEqual([]);
  });

  it('trim preview: timeline, playlist (HLS, no-cache), a segment (MPEG-TS) and a thumbnail (JPEG)', async () => {
    const preview = await (await env.app.request(`${API}/preview`, { user: streamer })).json();
    expect(preview.segments.length).toBeGreaterThan(5);
    expect(preview.playlistUrl).toMatch(/^preview\/playlist\.m3u8/);
    const playlistUrl = new URL(`${env.app.url}/${API}/${preview.playlistUrl}`);
    const playlist = await fetch(playlistUrl, { headers: { 'x-test-user': streamer } });
    expect(playlist.status).toBe(200);
    expect(playlist.headers.get('content-type')).toMatch(/^application\/vnd\.apple\.mpegurl/);
    expect(playlist.headers.get('cache-control')).toMatch(/no-cache/);
    const text = await playlist.text();
    expect(text).toMatch(/^#EXTM3U/);
    // Segment URIs resolve against the playlist's URL, as hls.js resolves them.
    const firstUri = text.split('\n').find((line) => line !== '' && !line.startsWith('#'))!;
    const segment = await fetch(new URL(firstUri, playlistUrl), { headers: { 'x-test-user': streamer } });
    expect(segment.status).toBe(200);
    expect(segment.headers.get('content-type')).toBe('video/mp2t');
    const ts = Buffer.from(await segment.arrayBuffer());
    expect(ts[0]).toBe(0x47);

    const thumbnails = await (
      await env.app.request(`${API}/preview/thumbnails?count=2`, { user: streamer })
    ).json();
    expect(thumbnails.items).toHaveLength(2);
    const image = await env.app.request(`${API}/${thumbnails.items[0].url}`, { user: streamer });
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/jpeg');
    expect(
      Buffer.from(await image.arrayBuffer())
        .subarray(0, 2)
        .equals(Buffer.from([0xff, 0xd8])),
    ).toBe(true);
    expect(
      (await env.app.request(`${API}/preview/segments/..%2F..%2Fetc%2Fpasswd`, { user: streamer })).status,
    ).toBe(400);
  }, 120_000);

  it('a client that disconnects mid-download cancels the cut: no process, no temp file remains', async () => {
    const workRoot = path.join(env.clipsDir, WORK);
    const client = new AbortController();
    media.holdCuts = true;
    const held = media.nextCutHeld();
    const pending = env.app
      .request(`${API}/stream?durationSeconds=50&mode=accurate`, { user: streamer, signal: client.signal })
      .catch((error: unknown) => error);
    // The cut has read its first segment and waits for the request's signal: disconnect now.
    await held;
    client.abort();
    expect(await pending).toBeInstanceOf(Error);
    // The server saw the disconnect and the cut ended with the abort (not by finishing).
    await expect.poll(() => media.heldOutcomes.length, { timeout: 20_000 }).toBe(1);
    media.holdCuts = false;
    expect(media.heldOutcomes[0]).toMatchObject({ details: { aborted: true } });
    await expect.poll(() => ffmpegProcessesMentioning(workRoot), { timeout: 20_000 }).toEqual([]);
    await expect.poll(() => entries(workRoot), { timeout: 20_000 }).toEqual([]);
    // The buffer itself is untouched: a download still works afterwards.
    const again = await env.app.request(`${API}/stream?durationSeconds=2&mode=fast`, { user: streamer });
    expect(again.status).toBe(200);
    await again.arrayBuffer();
  }, 120_000);

  it('the 4th save within a minute → 429 RATE_LIMITED with Retry-After', async () => {
    for (let i = 0; i < 3; i += 1) {
      const saved = await env.app.request(`${API}/capture`, {
        method: 'POST',
        user: saver,
        json: { durationSeconds: 2, mode: 'fast' },
      });
      expect(saved.status).toBe(201);
    }
    const limited = await env.app.request(`${API}/capture`, {
      method: 'POST',
      user: saver,
      json: { durationSeconds: 2, mode: 'fast' },
    });
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toMatchObject({ code: 'RATE_LIMITED', userMessage: expect.any(String) });
  }, 120_000);
});
