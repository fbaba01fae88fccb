/**
 * LiveKit Cloud's rule, end to end: the real livekit-server-sdk talks to the egress emulator in
 * cloud mode (local outputs refused), core's LiveKitEgressGateway takes the upload and webhooks
 * from the config `s3ReplaySetup` builds, and the emulator uploads to s3rver.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  createMemoryStores,
  LiveKitEgressGateway,
  parseReplayConfig,
  type ReplayBufferError,
  ReplayBufferManager,
  ReplayErrorCode,
  replayConfigFromEnv,
} from '@livekit-replay/core';
import {
  type EgressEmulator,
  type S3TestServer,
  startEgressEmulator,
  startS3TestServer,
} from '@livekit-replay/testing';
import { EgressStatus } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../test/helpers.js';
import { createS3Client, type S3ReplaySetup, s3ReplaySetup } from './index.js';

const BUCKET = 'replay-cloud';
const HOOK = { url: 'https://replay.example.test/livekit/webhook', signingKey: 'APIwebhook' };
let server: S3TestServer;
let emu: EgressEmulator;
let s3: S3Client;
let setup: S3ReplaySetup;
let root: string;
const emulatorLog: string[] = [];
const managers: ReplayBufferManager[] = [];

beforeAll(async () => {
  server = await startS3TestServer({ buckets: [BUCKET] });
  s3 = createS3Client(testConfig(server, BUCKET));
  emu = await startEgressEmulator({
    cloud: true,
    maxFrameRate: 5,
    maxHeight: 180,
    historySeconds: 6,
    onLog: (line) => emulatorLog.push(line),
  });
  setup = s3ReplaySetup(testConfig(server, BUCKET), { egressWebhooks: [HOOK] });
  root = await mkdtemp(join(tmpdir(), 'lkr-cloud-egress-'));
});
afterEach(async () => {
  for (const manager of managers.splice(0)) await manager.close();
  // Every egress over before the next test (and before close): one still ending would be
  // writing its last segment and playlists while the emulator removes its staging directory.
  for (const egress of emu.egresses()) {
    if (egress.status === EgressStatus.EGRESS_STARTING || egress.status === EgressStatus.EGRESS_ACTIVE) {
      await emu.stopEgress(egress.egressId);
    } else if (egress.status === EgressStatus.EGRESS_ENDING) {
      await emu.waitForEnd(egress.egressId);
    }
  }
  emu.faults.reset();
});
afterAll(async () => {
  await emu?.close();
  setup?.close();
  s3?.destroy();
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

/** A replay config over the emulator, with `overrides` (e.g. the S3 setup's) on top. */
function config(overrides: Parameters<typeof replayConfigFromEnv>[1] = {}) {
  const env = {
    LIVEKIT_URL: emu.url,
    LIVEKIT_API_KEY: emu.apiKey,
    LIVEKIT_API_SECRET: emu.apiSecret,
    REPLAY_SEGMENTS_DIR: join(root, 'scratch'),
    REPLAY_CLIPS_DIR: join(root, 'clips'),
    REPLAY_SEGMENT_DURATION_SECONDS: '1',
  };
  return replayConfigFromEnv(env, overrides);
}

/** Everything a caller or an operator could see of an error. */
function exposed(error: unknown): string {
  const parts: string[] = [];
  for (
    let e = error as (Error & { details?: unknown; cause?: unknown }) | undefined;
    e;
    e = e.cause as never
  ) {
    parts.push(String(e.message), String(e.stack), JSON.stringify(e.details ?? null), JSON.stringify(e));
  }
  return parts.join('\n');
}

async function failure(p: Promise<unknown>): Promise<ReplayBufferError> {
  try {
    await p;
  } catch (error) {
    return error as ReplayBufferError;
  }
  throw new Error('expected the call to fail');
}

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((c) => c.Key ?? '').sort();
}

function recordingManager(overrides: Parameters<typeof replayConfigFromEnv>[1]) {
  const manager = new ReplayBufferManager({
    config: config(overrides),
    stores: createMemoryStores(),
    storage: setup.storage,
    segments: setup.segments,
    coordination: { rateLimiter: false },
  });
  managers.push(manager);
  const seen: unknown[] = [];
  for (const name of ['session:started', 'session:active', 'session:ended', 'error', 'warning'] as const) {
    manager.events.on(name, (...args: unknown[]) => seen.push(args));
  }
  return { manager, seen };
}

const share = (userId: string) => ({
  userId,
  roomName: `room-${userId}`,
  videoTrackId: 'TR_video',
  audioTrackId: 'TR_audio',
});

describe('egress to S3 on a LiveKit Cloud-like egress', () => {
  it('a start without an upload is refused as Cloud refuses it, as a CONFIG_INVALID that says what to set', async () => {
    const { manager } = recordingManager({});
    const error = await failure(manager.startReplayBuffer(share('no-upload')));
    expect(error.code).toBe(ReplayErrorCode.CONFIG_INVALID);
    expect(error.message).toContain('livekit.egressUpload');
    expect(exposed(error)).toContain('request has missing or invalid field: output');
    expect(emu.egresses().filter((e) => e.info.roomName === 'room-no-upload')).toEqual([]);
  });

  it('with the upload, egress uploads segments and playlists under <segments prefix>/<session dir>/', async () => {
    const { manager } = recordingManager(setup.config);
    const started = await manager.startReplayBuffer(share('uploader'));
    const egressId = started.egressId as string;
    await emu.waitForSegments(egressId, 4);
    const dir = `segments/${started.id}/`;
    const recorded = emu.getEgress(egressId)?.segments.map((s) => `${dir}${s.name}`) ?? [];
    expect(recorded.length).toBeGreaterThanOrEqual(4);
    expect(recorded.every((key) => /\/replay_\d{5}\.ts$/.test(key))).toBe(true);
    // Playlists sit beside the segments: the live one is re-uploaded after every segment, the
    // main one within a minute (and at stop).
    const uploads = emu.getEgress(egressId)?.s3;
    expect(uploads?.bucket).toBe(BUCKET);
    expect(uploads?.playlistKey.startsWith(dir)).toBe(true);
    const liveKey = uploads?.livePlaylistKey as string;
    expect(liveKey.startsWith(dir)).toBe(true);
    expect(await keysUnder(dir)).toEqual(expect.arrayContaining([...recorded.slice(0, 4), liveKey]));
    const live = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: liveKey }));
    expect(await live.Body?.transformToString()).toMatch(/replay_\d{5}\.ts/);
    await manager.stopReplayBuffer({ userId: 'uploader', sessionId: started.id });
    await emu.waitForEnd(egressId);
    expect(await keysUnder(dir)).toEqual(
      expect.arrayContaining([uploads?.playlistKey, `${dir}${egressId}.json`]),
    );
  });

  it('the one-call setup saves from the bucket: the factory reads where the gateway had egress upload', async () => {
    const { manager } = recordingManager(setup.config);
    const started = await manager.startReplayBuffer(share('saver'));
    await emu.waitForSegments(started.egressId as string, 8);
    const clip = await manager.captureReplay({ userId: 'saver', durationSeconds: 4 });
    expect(Math.abs(clip.durationSeconds - 4)).toBeLessThanOrEqual(0.1);
    expect(await keysUnder(`clips/${clip.id}`)).toContain(`clips/${clip.id}.mp4`);
    // Nothing of the buffer was written to local directories.
    expect(await readdir(root)).not.toContain('scratch');
    await manager.stopReplayBuffer({ userId: 'saver', sessionId: started.id });
  });

  it('hands the configured upload and per-egress webhooks to egress, and never shows the credentials', async () => {
    const { manager, seen } = recordingManager(setup.config);
    const started = await manager.startReplayBuffer(share('secretive'));
    const request = emu.getEgress(started.egressId as string)?.info.request;
    if (request?.case !== 'trackComposite') throw new Error('expected a track composite request');
    const output = request.value.segmentOutputs[0];
    expect(output?.filenamePrefix).toBe(`segments/${started.id}/replay`);
    expect(output?.output.case).toBe('s3');
    expect(output?.output.value).toMatchObject({
      bucket: BUCKET,
      endpoint: server.endpoint,
      region: server.region,
      accessKey: server.accessKeyId,
      secret: server.secretAccessKey,
      forcePathStyle: true,
    });
    expect(request.value.webhooks.map((w) => ({ url: w.url, signingKey: w.signingKey }))).toEqual([HOOK]);

    const dtos = [
      started,
      await manager.getSession({ userId: 'secretive', sessionId: started.id }),
      await manager.getRoomStatus({ roomName: 'room-secretive' }),
      await manager.stopReplayBuffer({ userId: 'secretive', sessionId: started.id }),
    ];
    const secret = server.secretAccessKey;
    expect(JSON.stringify(dtos)).not.toContain(secret);
    expect(JSON.stringify(seen)).not.toContain(secret);
    expect(emulatorLog.join('\n')).not.toContain(secret);
  });

  it('keeps the credentials out of errors: a refused start and a bad upload config', async () => {
    const secret = 'wJalrXUtnFEMI-not-a-real-secret';
    const gateway = new LiveKitEgressGateway({
      ...config(setup.config).livekit,
      egressUpload: { s3: { ...setup.config.livekit.egressUpload.s3, secret } },
    });
    emu.faults.refuseStarts({ times: 1 });
    const refused = await failure(
      gateway.startSegmentedEgress({
        roomName: 'room-refused',
        videoTrackId: 'TR_video',
        audioTrackId: null,
        quality: '720p',
        filenamePrefix: 'segments/refused/replay',
        playlistName: 'index.m3u8',
        livePlaylistName: 'live.m3u8',
        segmentDurationSeconds: 1,
        segmentNaming: 'INDEX',
      }),
    );
    expect(refused.code).toBe(ReplayErrorCode.EGRESS_UNAVAILABLE);
    expect(exposed(refused)).not.toContain(secret);

    const badConfig = (() => {
      try {
        parseReplayConfig({
          ...config(),
          livekit: {
            ...config().livekit,
            egressUpload: { s3: { bucket: BUCKET, endpoint: 'ftp://nowhere', accessKey: 'AKIA', secret } },
          },
        });
      } catch (error) {
        return error as ReplayBufferError;
      }
      throw new Error('expected CONFIG_INVALID');
    })();
    expect(badConfig.code).toBe(ReplayErrorCode.CONFIG_INVALID);
    expect(badConfig.message).toContain('livekit.egressUpload.s3.endpoint');
    expect(exposed(badConfig)).not.toContain(secret);
    expect(
      () =>
        new LiveKitEgressGateway({ ...config().livekit, egressUpload: { s3: { bucket: BUCKET, secret } } }),
    ).toThrow(
      expect.objectContaining({
        code: ReplayErrorCode.CONFIG_INVALID,
        message: expect.not.stringContaining(secret),
      }),
    );
  });
});
