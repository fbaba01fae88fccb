/**
 * Start policies under load, counted at the emulator (what LiveKit actually received): one
 * buffer per user under 50 parallel starts, replaceExisting races, the community toggle and
 * limit, the authorize hook, and the quality presets' encoding options.
 */
import path from 'node:path';
import { AudioCodec, EgressStatus, type TrackCompositeEgressRequest } from '@livekit/protocol';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayConfigInput } from '../../config.js';
import { isReplayBufferError, ReplayBufferError, ReplayErrorCode } from '../../errors.js';
import { LiveKitEgressGateway } from '../../livekit/livekit-egress-gateway.js';
import { createMemoryStores } from '../../memory/index.js';
import { MemorySessionStore } from '../../memory/memory-session-store.js';
import type { EgressGateway } from '../../ports/egress-gateway.js';
import type { ReplayBufferManagerOptions } from '../options.js';
import { API_KEY, API_SECRET, recordingManager, tempRoot } from './lifecycle-helpers.js';

let root: { root: string; cleanup: () => Promise<void> };
let emulator: EgressEmulator;

beforeAll(async () => {
  root = await tempRoot('lkr-policies-');
  emulator = await startEgressEmulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    segmentsRoot: path.join(root.root, 'segments'),
    maxFrameRate: 2,
    maxHeight: 144,
  });
});

afterEach(async () => {
  await Promise.all(
    emulator
      .egresses()
      .filter((e) => e.status === EgressStatus.EGRESS_STARTING || e.status === EgressStatus.EGRESS_ACTIVE)
      .map((e) => emulator.stopEgress(e.egressId)),
  );
});

afterAll(async () => {
  await emulator?.close();
  await root?.cleanup();
});

async function harness(
  config: Partial<ReplayConfigInput> = {},
  options: Partial<ReplayBufferManagerOptions> = {},
) {
  const stores = createMemoryStores();
  const made = await recordingManager({
    config: {
      livekit: { url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir: path.join(root.root, 'segments'),
      clipsDir: path.join(root.root, 'clips'),
      segmentDurationSeconds: 2,
      ...config,
    },
    coordination: { rateLimiter: false },
    ...options,
    stores: { ...stores, ...options.stores },
  });
  return { ...made, stores };
}

function egressesIn(room: string) {
  return emulator.egresses().filter((e) => e.roomName === room);
}

function liveEgressesIn(room: string) {
  return egressesIn(room).filter(
    (e) => e.status === EgressStatus.EGRESS_STARTING || e.status === EgressStatus.EGRESS_ACTIVE,
  );
}

function codes(results: PromiseSettledResult<unknown>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key =
      r.status === 'fulfilled' ? 'ok' : isReplayBufferError(r.reason) ? r.reason.code : String(r.reason);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('one buffer per user', () => {
  it('50 parallel starts by one user with replace: false create exactly one session and start exactly one egress at LiveKit', async () => {
    const { manager, stores } = await harness();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        manager.startReplayBuffer({
          userId: 'u-burst',
          roomName: 'room-burst',
          videoTrackId: 'TR_v',
          replace: false,
        }),
      ),
    );
    expect(codes(results)).toEqual({ ok: 1, ALREADY_ACTIVE: 49 });
    expect(egressesIn('room-burst')).toHaveLength(1);
    const sessions = await stores.sessions.listByStatus(['starting', 'active', 'stopped', 'failed']);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.egressId).toBe(egressesIn('room-burst')[0]?.egressId);
  });

  it('a second start replaces the first by default: the old egress is stopped, the user told, exactly one live', async () => {
    const { manager, stores, notifications } = await harness();
    const first = await manager.startReplayBuffer({
      userId: 'u-again',
      roomName: 'room-again',
      videoTrackId: 'TR_1',
    });
    const second = await manager.startReplayBuffer({
      userId: 'u-again',
      roomName: 'room-again',
      videoTrackId: 'TR_2',
    });
    expect(second.id).not.toBe(first.id);
    expect(await stores.sessions.get(first.id)).toMatchObject({ status: 'stopped', endReason: 'replaced' });
    expect((await emulator.waitForEnd(first.egressId!)).status).toBe(EgressStatus.EGRESS_COMPLETE);
    expect(liveEgressesIn('room-again').map((e) => e.egressId)).toEqual([second.egressId]);
    expect((await stores.sessions.listByStatus(['starting', 'active'])).map((s) => s.id)).toEqual([
      second.id,
    ]);
    expect(
      notifications.find((n) => n.sessionId === first.id && n.type === 'REPLAY_BUFFER_STOPPED'),
    ).toMatchObject({
      reason: 'replaced',
      egressId: first.egressId,
      roomName: 'room-again',
    });
  });

  it('stopReplayBuffer({ userId }) stops the user’s live buffer; without one it answers SESSION_NOT_FOUND', async () => {
    const { manager, stores } = await harness();
    const started = await manager.startReplayBuffer({
      userId: 'u-stopme',
      roomName: 'room-stopme',
      videoTrackId: 'TR_v',
    });
    const stopped = await manager.stopReplayBuffer({ userId: 'u-stopme' });
    expect(stopped).toMatchObject({ id: started.id, status: 'stopped' });
    expect(await stores.sessions.findLiveByUser('u-stopme')).toBeNull();
    expect((await emulator.waitForEnd(started.egressId!)).status).toBe(EgressStatus.EGRESS_COMPLETE);
    await expect(manager.stopReplayBuffer({ userId: 'u-stopme' })).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
      userMessage: expect.stringMatching(/no replay buffer running/),
    });
  });

  it('getRoomStatus lists who is buffering in a room (ids only), and no one once they stop', async () => {
    const { manager } = await harness();
    const a = await manager.startReplayBuffer({
      userId: 'u-room-a',
      roomName: 'room-status',
      videoTrackId: 'TR_a',
    });
    const b = await manager.startReplayBuffer({
      userId: 'u-room-b',
      roomName: 'room-status',
      videoTrackId: 'TR_b',
    });
    await manager.startReplayBuffer({ userId: 'u-room-c', roomName: 'room-elsewhere', videoTrackId: 'TR_c' });
    const status = await manager.getRoomStatus({ roomName: 'room-status' });
    expect(status.roomName).toBe('room-status');
    expect(status.buffering.map((e) => [e.userId, e.sessionId]).sort()).toEqual([
      ['u-room-a', a.id],
      ['u-room-b', b.id],
    ]);
    for (const entry of status.buffering)
      expect(Object.keys(entry).sort()).toEqual(['sessionId', 'status', 'userId']);
    await manager.stopReplayBuffer({ userId: 'u-room-a' });
    await manager.stopReplayBuffer({ userId: 'u-room-b' });
    expect((await manager.getRoomStatus({ roomName: 'room-status' })).buffering).toEqual([]);
    await expect(manager.getRoomStatus({ roomName: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('20 parallel starts (replacing by default) leave exactly one live session and one live egress', async () => {
    const { manager, stores } = await harness();
    await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        manager.startReplayBuffer({
          userId: 'u-replace',
          roomName: 'room-replace',
          videoTrackId: 'TR_v',
        }),
      ),
    );
    // Every start has answered, so every StopEgress it sent has been answered too.
    const live = await stores.sessions.listByStatus(['starting', 'active']);
    expect(live).toHaveLength(1);
    const liveEgresses = liveEgressesIn('room-replace');
    expect(liveEgresses.map((e) => e.egressId)).toEqual([live[0]?.egressId]);
    // Every other egress that was started was stopped again.
    for (const e of egressesIn('room-replace')) {
      if (e.egressId !== live[0]?.egressId) expect(e.status).not.toBe(EgressStatus.EGRESS_ACTIVE);
    }
  });
});

describe('community policies', () => {
  it('a community limit of 3 holds under 12 parallel starts by different users (LIMIT_REACHED, atomic)', async () => {
    const { manager, stores } = await harness();
    await stores.communities.set({ communityId: 'c-limit', enabled: true, maxConcurrent: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        manager.startReplayBuffer({
          userId: `u-limit-${i}`,
          roomName: 'room-limit',
          videoTrackId: 'TR_v',
          communityId: 'c-limit',
        }),
      ),
    );
    expect(codes(results)).toEqual({ ok: 3, LIMIT_REACHED: 9 });
    expect(egressesIn('room-limit')).toHaveLength(3);
    // A slot frees up when a buffer stops.
    const first = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ id: string }>;
    const firstUser = (await stores.sessions.get(first.value.id))!.userId;
    await manager.stopReplayBuffer({ sessionId: first.value.id, userId: firstUser });
    await expect(
      manager.startReplayBuffer({
        userId: 'u-limit-late',
        roomName: 'room-limit',
        videoTrackId: 'TR_v',
        communityId: 'c-limit',
      }),
    ).resolves.toMatchObject({ status: expect.stringMatching(/starting|active/) });
  });

  it('a community that turned replay off refuses with DISABLED and starts nothing', async () => {
    const { manager, stores } = await harness();
    expect(await manager.getCommunityConfig({ communityId: 'c-off' })).toEqual({
      communityId: 'c-off',
      enabled: true,
      maxConcurrent: 5,
    });
    await manager.setCommunityConfig({ communityId: 'c-off', enabled: false, maxConcurrent: 5 });
    expect(await manager.getCommunityConfig({ communityId: 'c-off' })).toMatchObject({ enabled: false });
    const error = await manager
      .startReplayBuffer({
        userId: 'u-off',
        roomName: 'room-off',
        videoTrackId: 'TR_v',
        communityId: 'c-off',
      })
      .catch((e: unknown) => e);
    expect(isReplayBufferError(error, 'DISABLED')).toBe(true);
    expect(egressesIn('room-off')).toHaveLength(0);
    expect(await stores.sessions.findLiveByUser('u-off')).toBeNull();
  });

  it('the authorize hook refuses with FORBIDDEN (false or throwing) and starts nothing', async () => {
    const seen: unknown[] = [];
    const { manager } = await harness(
      {},
      {
        hooks: {
          authorize: (context) => {
            seen.push(context);
            if (context.userId === 'u-throws') throw new Error('directory down');
            return context.userId !== 'u-denied';
          },
        },
      },
    );
    for (const userId of ['u-denied', 'u-throws']) {
      const error = await manager
        .startReplayBuffer({
          userId,
          roomName: 'room-auth',
          videoTrackId: 'TR_v',
          channelId: 'ch-1',
          communityId: 'c-1',
        })
        .catch((e: unknown) => e);
      expect(isReplayBufferError(error, 'FORBIDDEN')).toBe(true);
    }
    expect(egressesIn('room-auth')).toHaveLength(0);
    expect(seen[0]).toMatchObject({
      userId: 'u-denied',
      action: 'start',
      roomName: 'room-auth',
      channelId: 'ch-1',
      communityId: 'c-1',
    });
    await expect(
      manager.startReplayBuffer({ userId: 'u-allowed', roomName: 'room-auth', videoTrackId: 'TR_v' }),
    ).resolves.toBeDefined();
    expect(egressesIn('room-auth')).toHaveLength(1);
  });
});

describe('quality presets reach LiveKit', () => {
  it.each([
    ['720p', undefined, { width: 1280, height: 720, videoBitrate: 3000 }],
    ['1080p', undefined, { width: 1920, height: 1080, videoBitrate: 4500 }],
    ['1440p', undefined, { width: 2560, height: 1440, videoBitrate: 8000 }],
    // width × height × 5 bit/s, clamped to 3–20 Mbit/s.
    ['source', { width: 1366, height: 768 }, { width: 1366, height: 768, videoBitrate: 5245 }],
    ['source', { width: 640, height: 480 }, { width: 640, height: 480, videoBitrate: 3000 }],
    ['source', { width: 3440, height: 1440 }, { width: 3440, height: 1440, videoBitrate: 20000 }],
    ['source', { width: 5120, height: 2880 }, { width: 3840, height: 2160, videoBitrate: 20000 }],
  ] as const)(
    '%s %o → %o, AAC audio, a keyframe every segment',
    async (quality, sourceDimensions, expected) => {
      const { manager } = await harness();
      const room = `room-q-${quality}-${sourceDimensions?.width ?? 0}`;
      const session = await manager.startReplayBuffer({
        userId: `u-${room}`,
        roomName: room,
        videoTrackId: 'TR_v',
        audioTrackId: 'TR_a',
        quality,
        ...(sourceDimensions ? { sourceDimensions } : {}),
      });
      const egress = emulator.getEgress(session.egressId!);
      const request = egress?.info.request.value as TrackCompositeEgressRequest;
      expect(request.options.case).toBe('advanced');
      const options = request.options.value as unknown as Record<string, unknown>;
      expect(options).toMatchObject({
        ...expected,
        framerate: 30,
        audioCodec: AudioCodec.AAC,
        keyFrameInterval: 2,
      });
      expect(egress?.encoding.requestedFps).toBe(30);
      expect(egress?.encoding.videoBitrateKbps).toBe(expected.videoBitrate);
      expect(request).toMatchObject({ videoTrackId: 'TR_v', audioTrackId: 'TR_a', roomName: room });
    },
  );

  it('source quality without dimensions is INVALID_INPUT and starts nothing', async () => {
    const { manager } = await harness();
    const error = await manager
      .startReplayBuffer({
        userId: 'u-nodims',
        roomName: 'room-nodims',
        videoTrackId: 'TR_v',
        quality: 'source',
      })
      .catch((e: unknown) => e);
    expect(isReplayBufferError(error, 'INVALID_INPUT')).toBe(true);
    expect(egressesIn('room-nodims')).toHaveLength(0);
  });
});

describe('starts that fail half-way leave no egress running', () => {
  function gatewayWith(overrides: Partial<EgressGateway>): EgressGateway {
    const inner = new LiveKitEgressGateway({ url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET });
    return {
      startSegmentedEgress: (r) => inner.startSegmentedEgress(r),
      stopEgress: (id) => inner.stopEgress(id),
      listActiveEgress: (room) => inner.listActiveEgress(room),
      getEgress: (id) => inner.getEgress(id),
      ...overrides,
    };
  }

  it('the store fails to record the egress id: the start fails and the egress LiveKit started is stopped', async () => {
    const sessions = new (class extends MemorySessionStore {
      override async patch(...args: Parameters<MemorySessionStore['patch']>) {
        if (args[2].egressId) {
          throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, 'session store unavailable');
        }
        return super.patch(...args);
      }
    })();
    const { manager, notifications } = await harness({}, { stores: { sessions } });
    const error = await manager
      .startReplayBuffer({ userId: 'u-storefail', roomName: 'room-storefail', videoTrackId: 'TR_v' })
      .catch((e: unknown) => e);
    expect(isReplayBufferError(error, 'STORAGE_ERROR')).toBe(true);
    expect(egressesIn('room-storefail')).toHaveLength(1);
    expect(liveEgressesIn('room-storefail')).toHaveLength(0);
    expect(await sessions.findLiveByUser('u-storefail')).toBeNull();
    expect(notifications.map((n) => n.type)).toEqual(['REPLAY_BUFFER_FAILED']);
  });

  it('the start call times out although LiveKit started the egress: its egress_started webhook stops it', async () => {
    const timeout = gatewayWith({
      startSegmentedEgress: async (request) => {
        const inner = new LiveKitEgressGateway({ url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET });
        await inner.startSegmentedEgress(request);
        throw new ReplayBufferError(ReplayErrorCode.EGRESS_UNAVAILABLE, 'LiveKit did not answer in time');
      },
    });
    const { manager, stores } = await harness({}, { egress: timeout });
    const error = await manager
      .startReplayBuffer({ userId: 'u-timeout', roomName: 'room-timeout', videoTrackId: 'TR_v' })
      .catch((e: unknown) => e);
    expect(isReplayBufferError(error, 'EGRESS_UNAVAILABLE')).toBe(true);
    const [egress] = egressesIn('room-timeout');
    expect(egress?.status).toBe(EgressStatus.EGRESS_STARTING);
    const failed = (await stores.sessions.listByStatus(['failed']))[0];
    expect(failed).toMatchObject({ egressId: null, endReason: 'egress_start_failed' });
    // LiveKit's egress_started for it (no webhook URL here: take it from the emulator's log).
    await emulator.flushWebhooks();
    const started = emulator.webhookLog.find(
      (w) => w.egressId === egress?.egressId && w.event === 'egress_started',
    );
    expect(started).toBeDefined();
    const result = await manager.handleWebhook({
      body: started!.body,
      authorization: started!.authorization,
    });
    expect(result).toMatchObject({ sessionId: failed?.id, applied: false, ignored: 'stray_egress_stopped' });
    expect(liveEgressesIn('room-timeout')).toHaveLength(0);
    expect((await stores.sessions.get(failed!.id))?.status).toBe('failed');
  });
});
