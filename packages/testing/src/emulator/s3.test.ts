import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3Upload, SegmentedFileOutput, WebhookConfig } from '@livekit/protocol';
import { EgressClient, EgressStatus, ServerError } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, startS3TestServer } from '../s3/s3-test-server.js';
import { type EgressEmulator, startEgressEmulator } from './emulator.js';
import { parsePlaylist } from './test-helpers.js';

const BUCKET = 'egress-bucket';
let s3server: S3TestServer;
let s3: S3Client;

beforeAll(async () => {
  s3server = await startS3TestServer({ buckets: [BUCKET] });
  s3 = new S3Client({
    region: s3server.region,
    endpoint: s3server.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: s3server.accessKeyId, secretAccessKey: s3server.secretAccessKey },
  });
});
afterAll(async () => {
  s3?.destroy();
  await s3server?.close();
});

function upload(): S3Upload {
  return new S3Upload({
    accessKey: s3server.accessKeyId,
    secret: s3server.secretAccessKey,
    region: s3server.region,
    endpoint: s3server.endpoint,
    bucket: BUCKET,
    forcePathStyle: true,
  });
}

async function text(key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await response.Body?.transformToString()) ?? '';
}

async function keys(prefix: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((c) => c.Key ?? '');
}

async function caught(p: Promise<unknown>): Promise<ServerError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ServerError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

describe('egress emulator: S3 uploads', () => {
  let emu: EgressEmulator;
  let client: EgressClient;

  beforeAll(async () => {
    emu = await startEgressEmulator({ maxFrameRate: 5, maxHeight: 180, historySeconds: 12, cloud: true });
    client = new EgressClient(emu.url, emu.apiKey, emu.apiSecret);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('uploads segments, then the playlists, and at stop ENDLIST and the manifest', async () => {
    const info = await client.startTrackCompositeEgress(
      'room-s3',
      new SegmentedFileOutput({
        filenamePrefix: 'rooms/room-s3/user-1/seg',
        playlistName: 'index.m3u8',
        livePlaylistName: 'live.m3u8',
        segmentDuration: 1,
        output: { case: 's3', value: upload() },
      }),
      {
        videoTrackId: 'TR_v',
        audioTrackId: 'TR_a',
        webhooks: [new WebhookConfig({ url: 'https://example.test/hook', signingKey: 'APIsigning' })],
      },
    );
    // The per-egress webhooks arrived with the request, through the real SDK.
    const request = emu.getEgress(info.egressId)?.info.request;
    expect(
      request?.case === 'trackComposite' && request.value.webhooks.map((w) => [w.url, w.signingKey]),
    ).toEqual([['https://example.test/hook', 'APIsigning']]);

    await emu.waitForSegments(info.egressId, 8);
    const live = parsePlaylist(await text('rooms/room-s3/user-1/live.m3u8'));
    const main = parsePlaylist(await text('rooms/room-s3/user-1/index.m3u8'));
    expect(live.entries.length).toBe(5);
    expect(live.ended).toBe(false);
    // In the first hour the main playlist follows every segment (it may be one write behind the live one).
    expect(main.entries.length).toBeGreaterThanOrEqual(7);
    const stored = new Set(await keys('rooms/room-s3/user-1/seg_'));
    for (const entry of [...live.entries, ...main.entries]) {
      expect(stored.has(`rooms/room-s3/user-1/${entry.uri}`)).toBe(true); // listed only once uploaded
    }
    expect(emu.getEgress(info.egressId)?.s3?.playlistKey).toBe('rooms/room-s3/user-1/index.m3u8');

    const ended = await emu.stopEgress(info.egressId);
    expect(ended.status).toBe(EgressStatus.EGRESS_COMPLETE);
    const finalMain = parsePlaylist(await text('rooms/room-s3/user-1/index.m3u8'));
    const finalLive = parsePlaylist(await text('rooms/room-s3/user-1/live.m3u8'));
    expect(finalMain.ended).toBe(true);
    expect(finalLive.ended).toBe(true);
    const segmentKeys = (await keys('rooms/room-s3/user-1/seg_')).sort();
    expect(finalMain.entries.map((e) => `rooms/room-s3/user-1/${e.uri}`)).toEqual(segmentKeys);
    const manifest = JSON.parse(await text(`rooms/room-s3/user-1/${info.egressId}.json`)) as {
      egress_id: string;
      segments: unknown[];
    };
    expect(manifest.egress_id).toBe(info.egressId);
    expect(manifest.segments.length).toBe(segmentKeys.length);
    expect(ended.info.segmentResults[0]?.playlistName).toBe('rooms/room-s3/user-1/index.m3u8');
  });

  it('holds a segment upload half-way: the object is not listed until the upload completes', async () => {
    const info = await client.startTrackCompositeEgress(
      'room-held',
      new SegmentedFileOutput({
        filenamePrefix: 'held/seg',
        playlistName: 'index.m3u8',
        livePlaylistName: 'live.m3u8',
        segmentDuration: 1,
        output: { case: 's3', value: upload() },
      }),
      { videoTrackId: 'TR_v' },
    );
    const held = emu.holdSegmentUpload(info.egressId, 3);
    await held.started;
    await emu.waitForSegments(info.egressId, 6);
    const listed = await keys('held/seg_');
    expect(listed).not.toContain('held/seg_00003.ts');
    expect(listed).toContain('held/seg_00004.ts');
    const live = parsePlaylist(await text('held/live.m3u8'));
    expect(live.entries.map((e) => e.uri)).not.toContain('seg_00003.ts');
    held.release();
    await emu.stopEgress(info.egressId);
    expect(await keys('held/seg_')).toContain('held/seg_00003.ts');
    expect(parsePlaylist(await text('held/index.m3u8')).entries.map((e) => e.uri)).toContain('seg_00003.ts');
  });

  it('in cloud mode refuses a segmented output without an upload config, like LiveKit Cloud', async () => {
    const err = await caught(
      client.startTrackCompositeEgress(
        'room-local',
        new SegmentedFileOutput({ filenamePrefix: 'local/seg' }),
        {
          videoTrackId: 'TR_v',
        },
      ),
    );
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toContain('request has missing or invalid field: output');
    expect(await client.listEgress({ roomName: 'room-local' })).toEqual([]);
  });
});

describe('livekit-replay-emulator CLI --cloud', () => {
  it('starts in cloud mode and refuses local outputs', async () => {
    const { runEmulatorCli } = await import('./cli-main.js');
    const root = await mkdtemp(join(tmpdir(), 'emu-cli-cloud-'));
    const controller = new AbortController();
    const lines: string[] = [];
    let onReady: (emu: EgressEmulator) => void = () => {};
    const ready = new Promise<EgressEmulator>((resolve) => {
      onReady = resolve;
    });
    const exited = runEmulatorCli(['--port', '0', '--segments-root', root, '--cloud'], {
      signal: controller.signal,
      print: (l) => lines.push(l),
      onReady,
    });
    try {
      const emu = await Promise.race([
        ready,
        exited.then((code) => {
          throw new Error(`the CLI exited with ${code}: ${lines.join('\n')}`);
        }),
      ]);
      expect(lines.join('\n')).toContain('cloud mode');
      const client = new EgressClient(emu.url, emu.apiKey, emu.apiSecret);
      const err = await caught(
        client.startTrackCompositeEgress('cli-room', new SegmentedFileOutput({ filenamePrefix: 'cli/seg' }), {
          videoTrackId: 'v',
        }),
      );
      expect(err.code).toBe('invalid_argument');
    } finally {
      controller.abort();
      await exited;
      await rm(root, { recursive: true, force: true });
    }
    expect(await exited).toBe(0);
  });
});
