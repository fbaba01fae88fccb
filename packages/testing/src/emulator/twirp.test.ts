import { readFile } from 'node:fs/promises';
import { SegmentedFileOutput } from '@livekit/protocol';
import { AccessToken, EgressClient, EgressStatus, ServerError } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EgressEmulator, startEgressEmulator } from './emulator.js';
import { isProcessAlive } from './test-helpers.js';

const output = (prefix: string) => new SegmentedFileOutput({ filenamePrefix: prefix, segmentDuration: 1 });

async function caught(p: Promise<unknown>): Promise<ServerError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ServerError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('egress emulator: Twirp API', () => {
  let emu: EgressEmulator;
  let client: EgressClient;

  beforeAll(async () => {
    emu = await startEgressEmulator({
      apiKey: 'APIkey1',
      apiSecret: 'a-secret-that-is-long-enough-0123',
      maxFrameRate: 5,
      maxHeight: 180,
    });
    client = new EgressClient(emu.url, emu.apiKey, emu.apiSecret);
  });
  afterAll(async () => {
    await emu.close();
  });

  it('rejects a wrong secret, a wrong key, a missing grant and no token with 401 unauthenticated', async () => {
    const wrongSecret = await caught(
      new EgressClient(emu.url, emu.apiKey, 'another-secret-0123456789-abcdefgh').listEgress(),
    );
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.code).toBe('unauthenticated');
    const wrongKey = await caught(new EgressClient(emu.url, 'otherKey', emu.apiSecret).listEgress());
    expect(wrongKey.status).toBe(401);

    const noGrant = new AccessToken(emu.apiKey, emu.apiSecret);
    noGrant.addGrant({ roomJoin: true, room: 'x' });
    noGrant.identity = 'someone';
    const res = await fetch(`${emu.url}/twirp/livekit.Egress/ListEgress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await noGrant.toJwt()}` },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toMatchObject({ code: 'unauthenticated' });

    const none = await fetch(`${emu.url}/twirp/livekit.Egress/ListEgress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(none.status).toBe(401);
  });

  it('answers unknown routes with bad_route and raw JSON in snake_case like a Go Twirp server', async () => {
    const res = await fetch(`${emu.url}/twirp/livekit.Egress/Nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'bad_route' });
    const at = new AccessToken(emu.apiKey, emu.apiSecret);
    at.addGrant({ roomRecord: true });
    const list = await fetch(`${emu.url}/twirp/livekit.Egress/ListEgress`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await at.toJwt()}` },
      body: '{}',
    });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ items: [] });
  });

  it('starts, lists with filters, stops, and refuses to stop twice or unknown ids', async () => {
    const a = await client.startTrackCompositeEgress('room-a', output('a/seg'), { videoTrackId: 'TR_a' });
    const b = await client.startTrackCompositeEgress('room-b', output('b/seg'), { audioTrackId: 'TR_b' });
    expect(a.status).toBe(EgressStatus.EGRESS_STARTING);
    expect(a.roomName).toBe('room-a');
    expect(a.request.case).toBe('trackComposite');
    expect(a.segmentResults[0]?.playlistName).toBe('a/seg.m3u8');

    expect((await client.listEgress()).map((e) => e.egressId).sort()).toEqual(
      [a.egressId, b.egressId].sort(),
    );
    expect((await client.listEgress({ roomName: 'room-b' })).map((e) => e.egressId)).toEqual([b.egressId]);
    expect((await client.listEgress({ egressId: a.egressId })).map((e) => e.egressId)).toEqual([a.egressId]);

    await emu.waitForSegments(a.egressId, 1);
    const [activeA] = await client.listEgress({ egressId: a.egressId });
    expect(activeA?.status).toBe(EgressStatus.EGRESS_ACTIVE);
    expect(activeA?.startedAt).toBeGreaterThan(0n);

    const stopping = await client.stopEgress(a.egressId);
    expect(stopping.status).toBe(EgressStatus.EGRESS_ENDING);
    await emu.waitForEnd(a.egressId);
    const [doneA] = await client.listEgress({ egressId: a.egressId });
    expect(doneA?.status).toBe(EgressStatus.EGRESS_COMPLETE);
    expect(doneA?.endedAt).toBeGreaterThan(0n);
    expect(Number(doneA?.segmentResults[0]?.segmentCount)).toBeGreaterThanOrEqual(1);
    expect((await client.listEgress({ active: true })).map((e) => e.egressId)).toEqual([b.egressId]);

    const again = await caught(client.stopEgress(a.egressId));
    expect(again.status).toBe(412);
    expect(again.code).toBe('failed_precondition');
    expect(again.message).toBe('egress not active');
    const unknown = await caught(client.stopEgress('EG_doesnotexist'));
    expect(unknown.status).toBe(404);
    expect(unknown.code).toBe('not_found');
    expect(unknown.message).toBe('egress does not exist');

    await client.stopEgress(b.egressId);
    await emu.waitForEnd(b.egressId);
  });

  it('refuses starts with 503 unavailable while the fault is on, then accepts again', async () => {
    emu.faults.refuseStarts({ times: 2, message: 'no response from servers' });
    for (let i = 0; i < 2; i++) {
      const err = await caught(
        client.startTrackCompositeEgress('room-503', output('r/seg'), { videoTrackId: 'v' }),
      );
      expect(err.status).toBe(503);
      expect(err.code).toBe('unavailable');
      expect(err.message).toBe('no response from servers');
    }
    const ok = await client.startTrackCompositeEgress('room-503', output('r/seg'), { videoTrackId: 'v' });
    await client.stopEgress(ok.egressId);
    await emu.waitForEnd(ok.egressId);
  });

  it('forgets an egress in ListEgress for the requested number of calls', async () => {
    const e = await client.startTrackCompositeEgress('room-hide', output('h/seg'), { videoTrackId: 'v' });
    emu.faults.hideFromList(e.egressId, 2);
    expect(await client.listEgress({ roomName: 'room-hide' })).toEqual([]);
    expect(await client.listEgress({ egressId: e.egressId })).toEqual([]);
    expect((await client.listEgress({ roomName: 'room-hide' })).map((x) => x.egressId)).toEqual([e.egressId]);
    await client.stopEgress(e.egressId);
    await emu.waitForEnd(e.egressId);
  });

  it('forgets an egress for good (host loss): StopEgress says it does not exist, ffmpeg is gone', async () => {
    const e = await client.startTrackCompositeEgress('room-lost', output('lost/seg'), { videoTrackId: 'v' });
    await emu.waitForSegments(e.egressId, 1);
    const pid = emu.getEgress(e.egressId)?.pid;
    await emu.faults.forgetEgress(e.egressId);
    expect(pid !== undefined && isProcessAlive(pid)).toBe(false);
    expect(await client.listEgress({ roomName: 'room-lost' })).toEqual([]);
    const err = await caught(client.stopEgress(e.egressId));
    expect([err.status, err.code, err.message]).toEqual([404, 'not_found', 'egress does not exist']);
  });

  it('ends an egress with LIMIT_REACHED and a closed playlist', async () => {
    const e = await client.startTrackCompositeEgress('room-limit', output('limit/seg'), {
      videoTrackId: 'v',
    });
    await emu.waitForSegments(e.egressId, 1);
    await emu.faults.limitReached(e.egressId);
    const [info] = await client.listEgress({ egressId: e.egressId });
    expect(info?.status).toBe(EgressStatus.EGRESS_LIMIT_REACHED);
    const egress = emu.getEgress(e.egressId);
    expect((await readFile(egress?.playlistPath ?? '', 'utf8')).trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(
      true,
    );
  });

  it('fails the egress (not the API call) when ffmpeg cannot run', async () => {
    const broken = await startEgressEmulator({ ffmpegPath: '/nonexistent/ffmpeg' });
    try {
      const c = new EgressClient(broken.url, broken.apiKey, broken.apiSecret);
      const e = await c.startTrackCompositeEgress('room-broken', output('b/seg'), { videoTrackId: 'v' });
      expect(e.status).toBe(EgressStatus.EGRESS_STARTING);
      const done = await broken.waitForEnd(e.egressId);
      expect(done.status).toBe(EgressStatus.EGRESS_FAILED);
      expect(done.info.error).toMatch(/could not run ffmpeg/);
    } finally {
      await broken.close();
    }
  });

  it('validates requests like the egress service', async () => {
    const noRoom = await caught(client.startTrackCompositeEgress('', output('x/seg'), { videoTrackId: 'v' }));
    expect(noRoom.code).toBe('invalid_argument');
    const noTracks = await caught(client.startTrackCompositeEgress('room', output('x/seg')));
    expect(noTracks.code).toBe('invalid_argument');
  });
});
