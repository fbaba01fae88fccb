import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TrackSource } from '@livekit/protocol';
import { WebhookReceiver } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatedRooms } from './room-events.js';

const apiKey = 'devkey';
const apiSecret = 'secret-secret-secret-secret-secret';

describe('EmulatedRooms: screen-share room webhooks', () => {
  const received: Array<{ contentType: string | undefined; body: string; authorization: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
        authorization: String(req.headers.authorization),
      });
      res.end('ok');
    });
  });
  let rooms: EmulatedRooms;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    rooms = new EmulatedRooms({ apiKey, apiSecret, url: () => `http://127.0.0.1:${port}/hook` });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('posts signed track_published / track_unpublished events LiveKit’s receiver accepts, in order', async () => {
    const share = await rooms.publishScreenShare({ roomName: 'room-a', identity: 'alice' });
    await rooms.publishScreenShareAudio(share);
    await rooms.unpublishScreenShare(share);
    const receiver = new WebhookReceiver(apiKey, apiSecret);
    const events = await Promise.all(received.map((r) => receiver.receive(r.body, r.authorization)));
    expect(received.every((r) => r.contentType === 'application/webhook+json')).toBe(true);
    expect(events.map((e) => [e.event, e.track?.source, e.track?.sid])).toEqual([
      ['track_published', TrackSource.SCREEN_SHARE, share.videoTrackSid],
      ['track_published', TrackSource.SCREEN_SHARE_AUDIO, share.audioTrackSid],
      ['track_unpublished', TrackSource.SCREEN_SHARE_AUDIO, share.audioTrackSid],
      ['track_unpublished', TrackSource.SCREEN_SHARE, share.videoTrackSid],
    ]);
    expect(new Set(events.map((e) => e.participant?.identity))).toEqual(new Set(['alice']));
    expect(new Set(events.map((e) => e.room?.name))).toEqual(new Set(['room-a']));
    expect(rooms.log.map((entry) => entry.httpStatus)).toEqual([200, 200, 200, 200]);
  });

  it('a tampered body fails verification (the signature covers the bytes)', async () => {
    const entry = rooms.log[0]!;
    const receiver = new WebhookReceiver(apiKey, apiSecret);
    await expect(
      receiver.receive(entry.body.replace('alice', 'mallory'), entry.authorization),
    ).rejects.toThrow();
  });
});
