import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SegmentedFileOutput } from '@livekit/protocol';
import { EgressClient, EgressStatus, WebhookReceiver } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from './auth.js';
import { type EgressEmulator, startEgressEmulator } from './emulator.js';
import { isProcessAlive, parsePlaylist } from './test-helpers.js';

interface Received {
  body: string;
  authorization: string | undefined;
  contentType: string | undefined;
}

const API_KEY = 'APIwebhooks';
const API_SECRET = 'webhook-secret-0123456789abcdefghij';
const output = (prefix: string) =>
  new SegmentedFileOutput({ filenamePrefix: prefix, playlistName: 'index.m3u8', segmentDuration: 1 });

describe('egress emulator: webhooks and faults', () => {
  let emu: EgressEmulator;
  let client: EgressClient;
  let receiver: Server;
  let hookUrl: string;
  const received: Received[] = [];
  const verifier = new WebhookReceiver(API_KEY, API_SECRET);

  const eventsFor = async (egressId: string) => {
    await emu.flushWebhooks();
    const out = [];
    for (const r of received) {
      const event = await verifier.receive(r.body, r.authorization);
      if (event.egressInfo?.egressId === egressId) out.push({ event, raw: r });
    }
    return out;
  };

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push({
          body,
          authorization: req.headers.authorization,
          contentType: req.headers['content-type'],
        });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/livekit/webhook`;
    emu = await startEgressEmulator({
      apiKey: API_KEY,
      apiSecret: API_SECRET,
      webhookUrl: hookUrl,
      maxFrameRate: 5,
      maxHeight: 180,
    });
    client = new EgressClient(emu.url, API_KEY, API_SECRET);
  });
  afterAll(async () => {
    await emu.close();
    await new Promise((r) => receiver.close(r));
  });

  it('sends LiveKit-signed egress_started → updated ACTIVE → updated ENDING → ended COMPLETE', async () => {
    const { egressId } = await client.startTrackCompositeEgress('room-hooks', output('hooks/seg'), {
      videoTrackId: 'v',
    });
    await emu.waitForSegments(egressId, 2);
    await client.stopEgress(egressId);
    await emu.waitForEnd(egressId);
    const events = await eventsFor(egressId);
    expect(events.map((e) => [e.event.event, e.event.egressInfo?.status])).toEqual([
      ['egress_started', EgressStatus.EGRESS_STARTING],
      ['egress_updated', EgressStatus.EGRESS_ACTIVE],
      ['egress_updated', EgressStatus.EGRESS_ENDING],
      ['egress_ended', EgressStatus.EGRESS_COMPLETE],
    ]);
    for (const { event, raw } of events) {
      expect(raw.contentType).toBe('application/webhook+json');
      expect(raw.authorization).not.toMatch(/^Bearer /);
      expect(event.id).toMatch(/^EV_/);
      expect(Number(event.createdAt)).toBeGreaterThan(1_700_000_000);
    }
    expect(new Set(events.map((e) => e.event.id)).size).toBe(4);
    const ended = events.at(-1)?.event.egressInfo;
    expect(ended?.segmentResults[0]?.segmentCount).toBe(
      BigInt(emu.getEgress(egressId)?.segments.length ?? -1),
    );
    expect(ended?.segmentResults[0]?.playlistName).toBe('hooks/index.m3u8');
    // The same bodies do not verify with another secret, nor with a tampered body.
    const first = events[0]?.raw;
    if (!first) throw new Error('no webhook');
    await expect(
      new WebhookReceiver(API_KEY, 'wrong-secret-0123456789abcdefghijkl').receive(
        first.body,
        first.authorization,
      ),
    ).rejects.toThrow();
    await expect(verifier.receive(`${first.body} `, first.authorization)).rejects.toThrow(/sha256/);
    expect(
      emu.webhookLog
        .filter((l) => l.egressId === egressId)
        .every((l) => l.outcome === 'sent' && l.httpStatus === 200),
    ).toBe(true);
  });

  it('signWebhook produces headers WebhookReceiver accepts', async () => {
    const body = JSON.stringify({ event: 'egress_updated', id: 'EV_test' });
    const header = await signWebhook(body, API_KEY, API_SECRET);
    expect((await verifier.receive(body, header)).event).toBe('egress_updated');
    await expect(
      verifier.receive(body, await signWebhook(body, API_KEY, 'x-wrong-secret-0123456789abcdefghij')),
    ).rejects.toThrow();
  });

  it('fails an egress mid-stream: ffmpeg stops, egress_ended FAILED with the error, playlist closed', async () => {
    const { egressId } = await client.startTrackCompositeEgress('room-fail', output('fail/seg'), {
      videoTrackId: 'v',
    });
    await emu.waitForSegments(egressId, 1);
    const pid = emu.getEgress(egressId)?.pid;
    await emu.faults.failEgress(egressId, 'simulated encoder crash');
    const done = await emu.waitForEnd(egressId);
    expect(done.status).toBe(EgressStatus.EGRESS_FAILED);
    expect(done.info.error).toBe('simulated encoder crash');
    expect(pid !== undefined && isProcessAlive(pid)).toBe(false);
    const events = await eventsFor(egressId);
    const ended = events.find((e) => e.event.event === 'egress_ended');
    expect(ended?.event.egressInfo?.status).toBe(EgressStatus.EGRESS_FAILED);
    expect(ended?.event.egressInfo?.error).toBe('simulated encoder crash');
    const playlist = parsePlaylist(await readFile(done.playlistPath, 'utf8'));
    expect(playlist.ended).toBe(true);
    expect(playlist.entries.map((e) => e.uri)).toEqual(done.segments.map((s) => s.name));
  });

  it('fails an egress whose output directory disappears, like a filesink write error', async () => {
    const { egressId } = await client.startTrackCompositeEgress('room-gone', output('gone/seg'), {
      videoTrackId: 'v',
    });
    await emu.waitForSegments(egressId, 1);
    const pid = emu.getEgress(egressId)?.pid;
    expect(pid).toBeDefined();
    await rm(emu.getEgress(egressId)?.outputDir ?? '', { recursive: true, force: true });
    const done = await emu.waitForEnd(egressId);
    expect(done.status).toBe(EgressStatus.EGRESS_FAILED);
    expect(done.info.error).toMatch(/could not write segments/);
    expect(pid !== undefined && isProcessAlive(pid)).toBe(false);
  });

  it('duplicates, drops, delays and reorders webhooks on request', async () => {
    emu.faults.onWebhook({ event: 'egress_started' }, { duplicate: true });
    emu.faults.onWebhook({ event: 'egress_updated', status: 'EGRESS_ACTIVE' }, { drop: true });
    emu.faults.onWebhook({ event: 'egress_updated', status: 'EGRESS_ENDING' }, { reorder: true });
    const { egressId } = await client.startTrackCompositeEgress('room-faulty', output('faulty/seg'), {
      videoTrackId: 'v',
    });
    await emu.waitForSegments(egressId, 1);
    await client.stopEgress(egressId);
    await emu.waitForEnd(egressId);
    const events = await eventsFor(egressId);
    expect(events.map((e) => [e.event.event, e.event.egressInfo?.status])).toEqual([
      ['egress_started', EgressStatus.EGRESS_STARTING],
      ['egress_started', EgressStatus.EGRESS_STARTING],
      ['egress_ended', EgressStatus.EGRESS_COMPLETE],
      ['egress_updated', EgressStatus.EGRESS_ENDING],
    ]);
    expect(events[0]?.event.id).toBe(events[1]?.event.id);
    const log = emu.webhookLog.filter((l) => l.egressId === egressId);
    expect(log.find((l) => l.status === 'EGRESS_ACTIVE')?.outcome).toBe('dropped');

    // Seeded random faults are reproducible, and a delay holds an event back.
    emu.faults.setWebhookFaults({ delay: 1, delayMs: [300, 300], seed: 7 });
    const delayed = await client.startTrackCompositeEgress('room-delay', output('delay/seg'), {
      videoTrackId: 'v',
    });
    const sentAfter = Date.now();
    await emu.flushWebhooks();
    const startedEntry = emu.webhookLog.find(
      (l) => l.egressId === delayed.egressId && l.event === 'egress_started',
    );
    expect(startedEntry?.fault.delayMs).toBe(300);
    expect((startedEntry?.sentAt ?? 0) - sentAfter).toBeGreaterThanOrEqual(250);
    emu.faults.setWebhookFaults(undefined);
    await client.stopEgress(delayed.egressId);
    await emu.waitForEnd(delayed.egressId);
  });

  it('survives a webhook target that is down', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((r) => dead.close(r));
    emu.setWebhookUrl(`http://127.0.0.1:${port}/gone`);
    try {
      const { egressId } = await client.startTrackCompositeEgress('room-down', output('down/seg'), {
        videoTrackId: 'v',
      });
      await emu.waitForSegments(egressId, 1);
      await client.stopEgress(egressId);
      await emu.waitForEnd(egressId);
      await emu.flushWebhooks();
      const log = emu.webhookLog.filter((l) => l.egressId === egressId);
      expect(log.length).toBe(4);
      expect(log.every((l) => l.outcome === 'failed' && typeof l.error === 'string')).toBe(true);
    } finally {
      emu.setWebhookUrl(hookUrl);
    }
  });

  it('stalls an egress (ACTIVE, no new segments) and lets the main playlist lag', async () => {
    const { egressId } = await client.startTrackCompositeEgress('room-stall', output('stall/seg'), {
      videoTrackId: 'v',
    });
    // A control egress that keeps running: its new segments show that time went by.
    const control = await client.startTrackCompositeEgress(
      'room-stall-control',
      output('stall-control/seg'),
      {
        videoTrackId: 'v',
      },
    );
    await emu.waitForSegments(egressId, 1);
    const controlSegments = (await emu.waitForSegments(control.egressId, 1)).length;
    emu.faults.stallEgress(egressId);
    const count = emu.getEgress(egressId)?.segments.length ?? 0;
    // Two more 1 s segments on the control egress: the stalled one would have written some too.
    await emu.waitForSegments(control.egressId, controlSegments + 2);
    await client.stopEgress(control.egressId);
    expect(emu.getEgress(egressId)?.segments.length).toBe(count);
    expect(emu.getEgress(egressId)?.stalled).toBe(true);
    expect((await client.listEgress({ egressId }))[0]?.status).toBe(EgressStatus.EGRESS_ACTIVE);
    emu.faults.resumeEgress(egressId);

    emu.faults.setPlaylistLag(2, egressId);
    const segs = await emu.waitForSegments(egressId, count + 4);
    const egress = emu.getEgress(egressId);
    if (!egress) throw new Error('missing egress');
    const listed = parsePlaylist(await readFile(egress.playlistPath, 'utf8')).entries.map((e) => e.uri);
    const done = egress.segments.map((s) => s.name);
    expect(listed).toEqual(done.slice(0, done.length - 2));
    const files = await readdir(egress.outputDir);
    for (const s of segs) expect(files).toContain(s.name);
    await client.stopEgress(egressId);
    const end = await emu.waitForEnd(egressId);
    const final = parsePlaylist(await readFile(end.playlistPath, 'utf8'));
    expect(final.entries.map((e) => e.uri)).toEqual(end.segments.map((s) => s.name));
  });
});

describe('egress emulator: close()', () => {
  it('kills every ffmpeg child and removes its temp directories', async () => {
    const emu = await startEgressEmulator({ maxFrameRate: 5, maxHeight: 180, historySeconds: 3 });
    const client = new EgressClient(emu.url, emu.apiKey, emu.apiSecret);
    const a = await client.startTrackCompositeEgress('room-x', output('x/seg'), { videoTrackId: 'v' });
    const b = await client.startTrackCompositeEgress('room-y', output('y/seg'), { videoTrackId: 'v' });
    await emu.waitForSegments(a.egressId, 1);
    await emu.waitForSegments(b.egressId, 1);
    const pids = emu.childPids();
    expect(pids.length).toBe(2);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(true);
    emu.faults.stallEgress(b.egressId);
    const root = emu.root;
    await emu.close();
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    expect(existsSync(root)).toBe(false);
  });
});
