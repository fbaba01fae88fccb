import type { EgressInfo } from '@livekit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayEnv, startReplayEnv, uniqueUser } from './support/replay-env.js';

const API = 'livekit/replay';

/** The tracks LiveKit was asked to record for an egress. */
function recordedTracks(info: EgressInfo): { video: string; audio: string } {
  const request = info.request;
  if (request.case !== 'trackComposite') throw new Error(`unexpected egress request ${request.case}`);
  return { video: request.value.videoTrackId, audio: request.value.audioTrackId };
}

// Server-driven start/stop: the emulator plays a participant sharing their screen, with the
// signed room webhooks LiveKit sends; no replay route is called to start or stop.
describe('autoStart from LiveKit room webhooks', () => {
  const user = uniqueUser('sharer');
  const identity = `identity-${user}`;
  const roomName = 'room-auto';
  let env: ReplayEnv;

  beforeAll(async () => {
    env = await startReplayEnv({
      historySeconds: 4,
      manager: {
        hooks: {
          resolveParticipant: async (participant) =>
            participant.identity === identity ? { userId: user, channelId: 'chan-auto' } : null,
        },
      },
    });
  }, 180_000);
  afterAll(() => env?.close());

  async function liveSession() {
    const body = await (await env.app.request(`${API}/session`, { user })).json();
    return body.status?.session ?? null;
  }

  function tracksOf(sessionEgressId: string) {
    return recordedTracks(env.emulator.getEgress(sessionEgressId)!.info);
  }

  it('a screen share starts the buffer; its audio published later restarts it with the audio; a duplicate changes nothing', async () => {
    const share = await env.emulator.rooms.publishScreenShare({
      roomName,
      identity,
      width: 1280,
      height: 720,
    });
    expect(env.emulator.rooms.log.at(-1)?.httpStatus).toBe(200);
    const first = await liveSession();
    expect(first).toMatchObject({ roomName, channelId: 'chan-auto' });
    expect(['starting', 'active']).toContain(first.status);
    expect(tracksOf(first.egressId)).toEqual({ video: share.videoTrackSid, audio: '' });

    await env.emulator.rooms.publishScreenShareAudio(share);
    const second = await liveSession();
    expect(second.id).not.toBe(first.id);
    expect(tracksOf(second.egressId)).toEqual({ video: share.videoTrackSid, audio: share.audioTrackSid });

    // LiveKit may deliver a webhook twice: the same signed bytes again.
    const published = env.emulator.rooms.log.filter((entry) => entry.event === 'track_published');
    for (const entry of published) {
      const res = await env.app.request('livekit/webhook', {
        method: 'POST',
        headers: { 'content-type': 'application/webhook+json', authorization: entry.authorization },
        body: entry.body,
      });
      expect(res.status).toBe(200);
    }
    expect((await liveSession()).id).toBe(second.id);

    await env.emulator.rooms.unpublishScreenShare(share);
    const after = await liveSession();
    expect(after === null || after.status === 'stopped').toBe(true);
    await expect.poll(() => env.emulator.getEgress(second.egressId)?.info.status).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('the participant leaving (a crashed tab) stops the buffer', async () => {
    const share = await env.emulator.rooms.publishScreenShare({ roomName, identity, audio: true });
    const live = await liveSession();
    expect(tracksOf(live.egressId)).toEqual({ video: share.videoTrackSid, audio: share.audioTrackSid });
    await env.emulator.rooms.leave(share);
    const after = await liveSession();
    expect(after === null || after.status === 'stopped').toBe(true);
  }, 120_000);

  it('audio published before its video: one start with both tracks, no restart', async () => {
    const before = env.emulator.egresses().length;
    const share = await env.emulator.rooms.publishScreenShare({ roomName, identity, audio: 'first' });
    const live = await liveSession();
    expect(tracksOf(live.egressId)).toEqual({ video: share.videoTrackSid, audio: share.audioTrackSid });
    expect(env.emulator.egresses().length).toBe(before + 1);
    await env.emulator.rooms.unpublishScreenShare(share);
    const after = await liveSession();
    expect(after === null || after.status === 'stopped').toBe(true);
  }, 120_000);

  it('participants the app does not know, and forged webhooks, start nothing', async () => {
    const stranger = await env.emulator.rooms.publishScreenShare({ roomName, identity: 'stranger' });
    expect(env.emulator.rooms.log.at(-1)?.httpStatus).toBe(200);
    const before = env.emulator.egresses().length;
    const entry = env.emulator.rooms.log.find((e) => e.trackSid === stranger.videoTrackSid)!;
    const forged = await env.app.request('livekit/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json', authorization: entry.authorization },
      body: entry.body.replace('stranger', identity),
    });
    expect(forged.status).toBe(401);
    expect(env.emulator.egresses().length).toBe(before);
    const live = await liveSession();
    expect(live === null || live.status === 'stopped').toBe(true);
  });
});
