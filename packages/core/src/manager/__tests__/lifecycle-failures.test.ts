/**
 * The seed's failure table, end to end: the real livekit-server-sdk talks to the egress
 * emulator over HTTP, the emulator writes LiveKit-format segments with ffmpeg and POSTs signed
 * webhooks to a real HTTP endpoint that hands them to the manager.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { EgressStatus } from '@livekit/protocol';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayConfigInput } from '../../config.js';
import { replayNotificationSchema } from '../../contract/notifications.js';
import { isReplayBufferError, ReplayBufferError, ReplayErrorCode } from '../../errors.js';
import type { ReplayNotification } from '../../events.js';
import { LiveKitEgressGateway } from '../../livekit/livekit-egress-gateway.js';
import { createMemoryStores } from '../../memory/index.js';
import type { MemorySessionStore } from '../../memory/memory-session-store.js';
import type { EgressGateway } from '../../ports/egress-gateway.js';
import { LocalClipStorage } from '../../storage/local-clip-storage.js';
import type { ReplaySession } from '../../types.js';
import type { ReplayBufferManagerOptions } from '../options.js';
import type { ReplayBufferManager } from '../replay-buffer-manager.js';
import {
  API_KEY,
  API_SECRET,
  eventually,
  recordingManager,
  seedSession,
  startWebhookEndpoint,
  tempRoot,
} from './lifecycle-helpers.js';

const FPS = 5;

let root: { root: string; cleanup: () => Promise<void> };
let segmentsDir: string;
let clipsDir: string;
let emulator: EgressEmulator;
let endpoint: Awaited<ReturnType<typeof startWebhookEndpoint>>;
let current: ReplayBufferManager | null = null;
const notificationsSeen: ReplayNotification[] = [];

beforeAll(async () => {
  root = await tempRoot('lkr-failures-');
  segmentsDir = path.join(root.root, 'segments');
  clipsDir = path.join(root.root, 'clips');
  emulator = await startEgressEmulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    segmentsRoot: segmentsDir,
    maxFrameRate: FPS,
    maxHeight: 180,
  });
  endpoint = await startWebhookEndpoint(() => current);
  emulator.setWebhookUrl(endpoint.url);
});

afterEach(async () => {
  // Nothing keeps encoding into the next test.
  for (const egress of emulator.egresses()) {
    if (egress.status === EgressStatus.EGRESS_STARTING || egress.status === EgressStatus.EGRESS_ACTIVE) {
      await emulator.stopEgress(egress.egressId);
    }
  }
  await emulator.flushWebhooks();
  emulator.faults.reset();
  // Every notification any test caused is a valid contract notification.
  for (const n of notificationsSeen.splice(0))
    expect(replayNotificationSchema.safeParse(n).error).toBeUndefined();
  current = null;
});

afterAll(async () => {
  await endpoint?.close();
  await emulator?.close();
  await root?.cleanup();
});

interface Harness {
  manager: ReplayBufferManager;
  store: MemorySessionStore;
  notifications: ReplayNotification[];
  errors: Error[];
}

async function harness(
  config: Partial<ReplayConfigInput> = {},
  options: Partial<ReplayBufferManagerOptions> = {},
): Promise<Harness> {
  const stores = createMemoryStores();
  const made = await recordingManager({
    config: {
      livekit: { url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir,
      clipsDir,
      segmentDurationSeconds: 1,
      defaultQuality: '720p',
      ...config,
    },
    coordination: { rateLimiter: false },
    ...options,
    stores: { ...stores, ...options.stores },
  });
  current = made.manager;
  await made.manager.subscribe((n) => notificationsSeen.push(n));
  return { ...made, store: (options.stores?.sessions as MemorySessionStore | undefined) ?? stores.sessions };
}

let users = 0;
async function start(h: Harness, room: string): Promise<ReplaySession> {
  users++;
  const started = await h.manager.startReplayBuffer({
    userId: `user-${users}`,
    roomName: room,
    channelId: room.replace(/^room-/, 'chan-'),
    videoTrackId: 'TR_video',
    audioTrackId: 'TR_audio',
  });
  expect(started.egressId).toMatch(/^EG_/);
  return (await h.store.get(started.id))!;
}

function waitForStatus(h: Harness, id: string, status: ReplaySession['status']): Promise<ReplaySession> {
  return eventually(
    async () => {
      const s = await h.store.get(id);
      return s?.status === status ? s : undefined;
    },
    20_000,
    `session ${id} to become ${status}`,
  );
}

function types(h: Harness, sessionId: string): string[] {
  return h.notifications.filter((n) => n.sessionId === sessionId).map((n) => n.type);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

describe('failure table', () => {
  it('user disconnects: the track goes away, LiveKit ends the egress, the webhook stops the session and tells the user', async () => {
    const h = await harness();
    const session = await start(h, 'room-disconnect');
    await waitForStatus(h, session.id, 'active');
    // LiveKit ends a track composite egress when its source leaves (COMPLETE + egress_ended).
    await emulator.stopEgress(session.egressId!);
    const ended = await waitForStatus(h, session.id, 'stopped');
    expect(ended).toMatchObject({ endReason: 'egress_complete', error: null });
    expect(ended.endedAt).not.toBeNull();
    expect(types(h, session.id)).toEqual(['REPLAY_BUFFER_STARTED', 'REPLAY_BUFFER_STOPPED']);
    // Segments stay for the retention period so a late save still works.
    expect(await exists(path.join(segmentsDir, session.segmentDir))).toBe(true);
  });

  it('browser crash (max age): cleanupOrphanedSessions ends a session older than orphanAfterHours, stops its egress, tells the user, and deletes its segments after retention', async () => {
    const h = await harness({ orphanAfterSeconds: 1, retainAfterStopSeconds: 1 });
    const session = await start(h, 'room-crash-age');
    await emulator.waitForSegments(session.egressId!, 1);
    await new Promise((r) => setTimeout(r, 1100 - (Date.now() - session.createdAt.getTime())));
    const result = await h.manager.cleanupOrphanedSessions();
    expect(result.ended).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({ status: 'stopped', endReason: 'orphaned' });
    expect((await emulator.waitForEnd(session.egressId!)).status).toBe(EgressStatus.EGRESS_COMPLETE);
    expect(h.notifications.filter((n) => n.sessionId === session.id).at(-1)).toMatchObject({
      type: 'REPLAY_BUFFER_STOPPED',
      reason: 'orphaned',
    });
    const dir = path.join(segmentsDir, session.segmentDir);
    expect(await exists(dir)).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    // Directories are the segment job's: the orphan job ends sessions, it does not sweep.
    const later = await h.manager.cleanupOldSegments();
    expect(later.expiredSessionDirsDeleted).toBe(1);
    expect(await exists(dir)).toBe(false);
    // The late egress_ended changed nothing and did not notify again.
    await emulator.flushWebhooks();
    expect(types(h, session.id).filter((t) => t === 'REPLAY_BUFFER_STOPPED')).toHaveLength(1);
  });

  it('browser crash (egress gone): the egress ended and its webhook was lost; cleanupOrphanedSessions ends the session from LiveKit’s answer', async () => {
    const h = await harness();
    const session = await start(h, 'room-crash-gone');
    await emulator.waitForSegments(session.egressId!, 1);
    emulator.faults.onWebhook({ egressId: session.egressId!, event: 'egress_ended' }, { drop: true });
    await emulator.stopEgress(session.egressId!);
    await emulator.flushWebhooks();
    expect((await h.store.get(session.id))?.status).not.toBe('stopped');
    const result = await h.manager.cleanupOrphanedSessions();
    expect(result.ended).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({ status: 'stopped', endReason: 'orphaned' });
    expect(types(h, session.id).at(-1)).toBe('REPLAY_BUFFER_STOPPED');
  });

  it('browser crash (LiveKit never heard of the egress / the start never recorded one): ended after two lookups / after the start timeout', async () => {
    const h = await harness({ startTimeoutSeconds: 1 });
    await seedSession(h.store, {
      id: 'rs_ghost',
      userId: 'u-ghost',
      egressId: 'EG_neverexisted',
      active: true,
    });
    await seedSession(h.store, { id: 'rs_nostart', userId: 'u-nostart' });
    const first = await h.manager.cleanupOrphanedSessions();
    expect(first.struck).toEqual(['rs_ghost']);
    expect(first.ended).toEqual([]);
    expect((await h.store.get('rs_ghost'))?.status).toBe('active');
    await new Promise((r) => setTimeout(r, 1100));
    const second = await h.manager.cleanupOrphanedSessions();
    expect(second.ended.sort()).toEqual(['rs_ghost', 'rs_nostart']);
    expect(await h.store.get('rs_ghost')).toMatchObject({ status: 'stopped', endReason: 'orphaned' });
    expect(await h.store.get('rs_nostart')).toMatchObject({ status: 'failed', endReason: 'orphaned' });
    expect(types(h, 'rs_ghost')).toEqual(['REPLAY_BUFFER_STOPPED']);
    expect(types(h, 'rs_nostart')).toEqual(['REPLAY_BUFFER_FAILED']);
  });

  it('network drop: the egress fails and every webhook is lost; reconciliation ends the session on the second miss, keeping LiveKit’s error', async () => {
    const h = await harness();
    const session = await start(h, 'room-network');
    await waitForStatus(h, session.id, 'active');
    emulator.faults.onWebhook({ egressId: session.egressId! }, { drop: true }, 10);
    await emulator.faults.failEgress(session.egressId!, 'connection to the room lost');
    await emulator.flushWebhooks();
    const first = await h.manager.reconcileEgressStatus();
    expect(first.struck).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({ status: 'active', missedSightings: 1 });
    expect(types(h, session.id)).toEqual(['REPLAY_BUFFER_STARTED']);
    const second = await h.manager.reconcileEgressStatus();
    expect(second.ended).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({
      status: 'failed',
      endReason: 'reconciled',
      error: 'connection to the room lost',
    });
    expect(h.notifications.at(-1)).toMatchObject({
      type: 'REPLAY_BUFFER_FAILED',
      sessionId: session.id,
      error: 'connection to the room lost',
    });
  });

  it('track unpublished: egress_ended FAILED with LiveKit’s error text marks the session failed, keeps the text and tells the user', async () => {
    const h = await harness();
    const session = await start(h, 'room-unpublished');
    await waitForStatus(h, session.id, 'active');
    await emulator.faults.failEgress(session.egressId!, 'track TR_video was unpublished');
    const failed = await waitForStatus(h, session.id, 'failed');
    expect(failed).toMatchObject({ endReason: 'egress_failed', error: 'track TR_video was unpublished' });
    const mine = h.notifications.filter((n) => n.sessionId === session.id);
    // What a UI needs, in the contract's shape: ids to route and dedupe, a code, text for people.
    expect(mine.at(-1)).toMatchObject({
      type: 'REPLAY_BUFFER_FAILED',
      error: 'track TR_video was unpublished',
      code: 'EGRESS_FAILED',
      userMessage: expect.stringMatching(/recording failed/),
      egressId: session.egressId,
      roomName: 'room-unpublished',
      channelId: 'chan-unpublished',
      userId: session.userId,
    });
    expect(mine[0]).toMatchObject({
      type: 'REPLAY_BUFFER_STARTED',
      egressId: session.egressId,
      channelId: 'chan-unpublished',
      session: { id: session.id, channelId: 'chan-unpublished', egressId: session.egressId },
    });
    for (const n of mine) expect(() => replayNotificationSchema.parse(n)).not.toThrow();
    expect(new Set(mine.map((n) => n.id)).size).toBe(mine.length);
  });

  it('LiveKit restart: one missed ListEgress sighting is forgiven and cleared, two end the session, and a reappearing egress heals it', async () => {
    const h = await harness();
    const session = await start(h, 'room-restart');
    await waitForStatus(h, session.id, 'active');
    const egressId = session.egressId!;

    emulator.faults.hideFromList(egressId, 1);
    expect((await h.manager.reconcileEgressStatus()).struck).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({ status: 'active', missedSightings: 1 });
    const back = await h.manager.reconcileEgressStatus();
    expect(back.cleared).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({ status: 'active', missedSightings: 0 });

    emulator.faults.hideFromList(egressId, 2);
    await h.manager.reconcileEgressStatus();
    expect((await h.manager.reconcileEgressStatus()).ended).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({ status: 'stopped', endReason: 'reconciled' });
    expect(types(h, session.id)).toEqual(['REPLAY_BUFFER_STARTED', 'REPLAY_BUFFER_STOPPED']);
    // Reconciliation never stops the egress itself, so a wrong verdict can be undone.
    expect(emulator.getEgress(egressId)?.status).toBe(EgressStatus.EGRESS_ACTIVE);

    const healed = await h.manager.reconcileEgressStatus();
    expect(healed.healed).toEqual([session.id]);
    expect(await h.store.get(session.id)).toMatchObject({
      status: 'active',
      endReason: null,
      endedAt: null,
      missedSightings: 0,
    });
    expect(types(h, session.id)).toEqual([
      'REPLAY_BUFFER_STARTED',
      'REPLAY_BUFFER_STOPPED',
      'REPLAY_BUFFER_STARTED',
    ]);
    expect((await h.store.findLiveByUser(session.userId))?.id).toBe(session.id);
  });

  it('LiveKit restart: a session the user stopped while StopEgress failed has its stray egress stopped by reconciliation', async () => {
    const inner = new LiveKitEgressGateway({ url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET });
    let failStops = 1;
    const flaky: EgressGateway = {
      startSegmentedEgress: (r) => inner.startSegmentedEgress(r),
      listActiveEgress: (room) => inner.listActiveEgress(room),
      getEgress: (id) => inner.getEgress(id),
      stopEgress: async (id) => {
        if (failStops-- > 0) {
          throw new ReplayBufferError(ReplayErrorCode.EGRESS_UNAVAILABLE, 'LiveKit could not be reached');
        }
        return inner.stopEgress(id);
      },
    };
    const h = await harness({}, { egress: flaky });
    const session = await start(h, 'room-stray');
    await waitForStatus(h, session.id, 'active');
    const stopped = await h.manager.stopReplayBuffer({ sessionId: session.id, userId: session.userId });
    expect(stopped).toMatchObject({ status: 'stopped' });
    expect(await h.store.get(session.id)).toMatchObject({ endReason: 'user' });
    expect(types(h, session.id).at(-1)).toBe('REPLAY_BUFFER_STOPPED');
    expect(emulator.getEgress(session.egressId!)?.status).toBe(EgressStatus.EGRESS_ACTIVE);

    const result = await h.manager.reconcileEgressStatus();
    expect(result.strayEgressesStopped).toEqual([session.egressId]);
    expect(result.healed).toEqual([]);
    expect((await emulator.waitForEnd(session.egressId!)).status).toBe(EgressStatus.EGRESS_COMPLETE);
    await emulator.flushWebhooks();
    expect(await h.store.get(session.id)).toMatchObject({ status: 'stopped', endReason: 'user' });
    expect(types(h, session.id).filter((t) => t === 'REPLAY_BUFFER_STOPPED')).toHaveLength(1);
  });

  it('LiveKit unreachable: a reconciliation pass changes nothing and reports the error', async () => {
    const h = await harness();
    const session = await start(h, 'room-unreachable');
    await waitForStatus(h, session.id, 'active');
    const before = await h.store.get(session.id);
    const { manager: offline, errors } = await recordingManager({
      config: {
        livekit: { url: 'http://127.0.0.1:9', apiKey: API_KEY, apiSecret: API_SECRET },
        segmentsDir,
        clipsDir,
      },
      stores: { sessions: h.store },
      coordination: { rateLimiter: false },
    });
    for (let i = 0; i < 3; i++) {
      const result = await offline.reconcileEgressStatus();
      expect(result.error).toMatch(/could not be reached/);
      expect(result.ended).toEqual([]);
      expect(result.struck).toEqual([]);
    }
    expect(await h.store.get(session.id)).toEqual(before);
    expect(errors.length).toBe(3);
  });

  it('disk full (segments): the egress cannot write and fails; the session is failed with the error and the user told', async () => {
    const h = await harness();
    const session = await start(h, 'room-disk-segments');
    await waitForStatus(h, session.id, 'active');
    // The emulator's failure knob: LiveKit reports a write error as egress_ended FAILED.
    const text = `write ${session.segmentDir}/replay_00004.ts: no space left on device`;
    await emulator.faults.failEgress(session.egressId!, text);
    const failed = await waitForStatus(h, session.id, 'failed');
    expect(failed.error).toBe(text);
    expect(h.notifications.at(-1)).toMatchObject({
      type: 'REPLAY_BUFFER_FAILED',
      sessionId: session.id,
      error: text,
    });
  });

  it('disk full (clips): a save on a full disk fails with STORAGE_ERROR and leaves no partial clip, no record and no quota used', async () => {
    // A 64 KiB tmpfs as the clips directory when we may mount (root); otherwise the clip is
    // written to /dev/full, which fails every write with ENOSPC.
    const fullDir = path.join(root.root, 'full-clips');
    await mkdir(fullDir, { recursive: true });
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', fullDir], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
    try {
      const storage = mounted
        ? new LocalClipStorage(fullDir)
        : new (class extends LocalClipStorage {
            override async beginWrite(key: string) {
              const pending = await super.beginWrite(key);
              return { path: '/dev/full', commit: pending.commit, abort: pending.abort };
            }
          })(fullDir);
      const stores = createMemoryStores();
      const h = await harness({ clipsDir: fullDir }, { stores, storage });
      emulator.setHistorySeconds(6, 'room-disk-clips');
      const session = await start(h, 'room-disk-clips');
      await emulator.waitForSegments(session.egressId!, 5);
      const error = await h.manager
        .captureReplay({ sessionId: session.id, userId: session.userId, durationSeconds: 3, mode: 'fast' })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isReplayBufferError(error, 'STORAGE_ERROR'), String(error)).toBe(true);
      const leftovers: string[] = [];
      const walk = async (dir: string) => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (entry.isDirectory()) await walk(path.join(dir, entry.name));
          else leftovers.push(path.join(dir, entry.name));
        }
      };
      await walk(fullDir);
      expect(leftovers).toEqual([]);
      expect((await stores.clips.listByOwner(session.userId)).items).toEqual([]);
      const usage = await stores.quotas.getUsage(session.userId, 1024 ** 3);
      expect([usage.usedBytes, usage.reservedBytes]).toEqual([0, 0]);
    } finally {
      emulator.setHistorySeconds(undefined, 'room-disk-clips');
      if (mounted) execFileSync('umount', [fullDir]);
    }
  });

  it('missed webhook: egress_started and the ACTIVE update never arrive; reconciliation activates the session from ListEgress', async () => {
    const h = await harness();
    emulator.faults.onWebhook({ event: 'egress_started' }, { drop: true });
    emulator.faults.onWebhook({ status: 'EGRESS_ACTIVE' }, { drop: true });
    const session = await start(h, 'room-missed');
    await emulator.waitForSegments(session.egressId!, 1);
    await emulator.flushWebhooks();
    expect((await h.store.get(session.id))?.status).toBe('starting');
    const result = await h.manager.reconcileEgressStatus();
    expect(result.activated).toEqual([session.id]);
    const active = await h.store.get(session.id);
    expect(active?.status).toBe('active');
    expect(active?.startedAt).not.toBeNull();
    expect(types(h, session.id)).toEqual(['REPLAY_BUFFER_STARTED']);
  });

  it('network drop, unattended: with the scheduler running, reconciliation ends the session on its own', async () => {
    const h = await harness();
    const session = await start(h, 'room-unattended');
    await waitForStatus(h, session.id, 'active');
    emulator.faults.onWebhook({ egressId: session.egressId! }, { drop: true }, 10);
    await h.manager.startScheduler({
      reconcileIntervalMs: 150,
      orphanIntervalMs: 3_600_000,
      segmentSweepIntervalMs: 3_600_000,
      watchSegments: false,
    });
    try {
      await emulator.stopEgress(session.egressId!);
      const ended = await waitForStatus(h, session.id, 'stopped');
      expect(ended.endReason).toBe('reconciled');
      expect(types(h, session.id)).toEqual(['REPLAY_BUFFER_STARTED', 'REPLAY_BUFFER_STOPPED']);
    } finally {
      await h.manager.stopScheduler();
    }
  });

  it('webhooks duplicated, delayed and reordered by the emulator still leave every session in its final state with one notification each', async () => {
    const h = await harness();
    emulator.faults.setWebhookFaults({
      duplicate: 0.5,
      reorder: 0.4,
      delay: 0.4,
      delayMs: [10, 300],
      seed: 7,
    });
    const sessions = await Promise.all(
      ['room-chaos-1', 'room-chaos-2', 'room-chaos-3'].map((room) => start(h, room)),
    );
    await Promise.all(sessions.map((s) => emulator.waitForSegments(s.egressId!, 1)));
    await emulator.stopEgress(sessions[0]!.egressId!);
    await emulator.faults.failEgress(sessions[1]!.egressId!, 'encoder lost');
    await emulator.stopEgress(sessions[2]!.egressId!);
    await emulator.flushWebhooks();
    expect(emulator.webhookLog.some((w) => w.duplicateCopy)).toBe(true);
    const final = await Promise.all(sessions.map((s) => h.store.get(s.id)));
    expect(final.map((s) => [s?.status, s?.error])).toEqual([
      ['stopped', null],
      ['failed', 'encoder lost'],
      ['stopped', null],
    ]);
    for (const s of sessions) {
      const ends = types(h, s.id).filter(
        (t) => t === 'REPLAY_BUFFER_STOPPED' || t === 'REPLAY_BUFFER_FAILED',
      );
      expect(ends).toHaveLength(1);
      expect(types(h, s.id).filter((t) => t === 'REPLAY_BUFFER_STARTED').length).toBeLessThanOrEqual(1);
    }
  });
});
