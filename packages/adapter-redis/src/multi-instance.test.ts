/**
 * Three ReplayBufferManagers (three "app instances") sharing one Redis for sessions, notifier and
 * job lock, one egress emulator (the real livekit-server-sdk talks HTTP to it), one segment
 * volume, and a round-robin "load balancer" in front of their webhook routes. Clips and quotas
 * use one shared in-memory store here, standing in for the durable database (Prisma) a real
 * deployment shares.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createMemoryStores,
  type PublicSessionDto,
  ReplayBufferManager,
  type ReplayNotification,
} from '@livekit-replay/core';
import type { JobTickOutcome, ReplaySession } from '@livekit-replay/core/adapter';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { uniqueId, waitFor } from '@livekit-replay/testing/contracts';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { findInconsistencies } from './test-support/consistency.js';
import { connectSharedRedis, deletePrefix, REDIS_URL, uniquePrefix } from './test-support/redis-env.js';

const prefix = uniquePrefix('multi');
const COMMUNITY_LIMIT = 2;
let admin: Redis;
let root: string;
let emulator: EgressEmulator;
let balancer: Server;
const adapters: RedisAdapters[] = [];
const managers: ReplayBufferManager[] = [];
/** Which instance each webhook delivery landed on. */
const webhookHits = [0, 0, 0];

beforeAll(async () => {
  admin = await connectSharedRedis();
  root = await mkdtemp(path.join(os.tmpdir(), 'lkr-multi-'));
  const segmentsDir = path.join(root, 'segments');
  const clipsDir = path.join(root, 'clips');

  // Round-robin load balancer in front of the three webhook routes.
  let next = 0;
  balancer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const index = next++ % 3;
      webhookHits[index]!++;
      managers[index]!.handleWebhook({
        body: Buffer.concat(chunks).toString('utf8'),
        authorization: req.headers.authorization,
      }).then(
        () => res.writeHead(200).end(),
        (error: { status?: number }) => res.writeHead(error.status ?? 500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => balancer.listen(0, '127.0.0.1', resolve));
  const { port } = balancer.address() as AddressInfo;

  emulator = await startEgressEmulator({
    segmentsRoot: segmentsDir,
    webhookUrl: `http://127.0.0.1:${port}/livekit/webhook`,
    historySeconds: 12,
    maxFrameRate: 5,
    maxHeight: 360,
  });
  const shared = createMemoryStores();
  for (let i = 0; i < 3; i++) {
    // One save per user per minute, counted across the three instances.
    const redis = createRedisAdapters({
      url: REDIS_URL,
      keyPrefix: prefix,
      captureRateLimits: [{ limit: 1, windowMs: 60_000 }],
    });
    adapters.push(redis);
    managers.push(
      new ReplayBufferManager({
        config: {
          livekit: { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret },
          segmentsDir,
          clipsDir,
          defaultQuality: '720p',
          defaultCommunityMaxConcurrent: COMMUNITY_LIMIT,
        },
        stores: {
          sessions: redis.sessions,
          clips: shared.clips,
          quotas: shared.quotas,
          communities: shared.communities,
        },
        coordination: { notifier: redis.notifier, jobLock: redis.jobLock, rateLimiter: redis.rateLimiter },
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(managers.map((manager) => manager.stopScheduler()));
  await Promise.allSettled(adapters.map((redis) => redis.close()));
  if (admin) await deletePrefix(admin, prefix);
  admin?.disconnect();
  await emulator?.close();
  await new Promise<void>((resolve) => {
    if (!balancer) return resolve();
    balancer.closeAllConnections();
    balancer.close(() => resolve());
  });
  if (root) await rm(root, { recursive: true, force: true });
});

/** Notifications for `userId` as the UI connected to `manager` would receive them. */
async function socketOn(manager: ReplayBufferManager, userId: string) {
  const received: ReplayNotification[] = [];
  const close = await manager.subscribe((n) => {
    if (n.userId === userId) received.push(n);
  });
  return { received, close, types: () => received.map((n) => n.type) };
}

function liveEgressesIn(roomName: string) {
  return emulator
    .egresses()
    .filter((egress) => egress.roomName === roomName && egress.status <= 1 /* STARTING, ACTIVE */);
}

describe('three instances sharing Redis', () => {
  let session: PublicSessionDto;
  const userId = uniqueId('user');
  const roomName = uniqueId('room');
  /** The user's UI, connected to instance 2. */
  let socket: Awaited<ReturnType<typeof socketOn>>;

  it('30 parallel starts for one user spread over the instances: one session, one egress', async () => {
    socket = await socketOn(managers[2]!, userId);
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        managers[i % 3]!.startReplayBuffer({ userId, roomName, videoTrackId: 'TR_video', replace: false }),
      ),
    );
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(started).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ALREADY_ACTIVE' });
    }
    session = started[0]!;
    expect(liveEgressesIn(roomName)).toHaveLength(1);
    expect((await adapters[2]!.sessions.findLiveByUser(userId))?.id).toBe(session.id);
    for (const manager of managers)
      expect((await manager.getBufferStatus({ userId }))?.session.id).toBe(session.id);
  }, 60_000);

  it('activates the session once, whichever instance gets the webhook; the user hears it on instance 2', async () => {
    const active = await waitForStatus(session.id, 'active');
    expect(active.egressId).toBe(session.egressId);
    await emulator.flushWebhooks();
    expect(webhookHits.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // The start answer and the egress_started webhook (on any instance) race to activate; the
    // CAS lets one win, so STARTED is published once and arrives through Redis.
    await waitFor(() => socket.types().includes('REPLAY_BUFFER_STARTED'), 5_000, 'STARTED on instance 2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(socket.types().filter((t) => t === 'REPLAY_BUFFER_STARTED')).toHaveLength(1);
  }, 30_000);

  it('stops from an instance that did not start it; egress ends; STOPPED reaches the user once', async () => {
    const stopped = await managers[1]!.stopReplayBuffer({ sessionId: session.id, userId });
    expect(stopped.status).toBe('stopped');
    await emulator.waitForEnd(session.egressId!);
    await emulator.flushWebhooks(); // egress_ended lands on some instance: the CAS makes it a no-op
    await waitFor(() => socket.types().includes('REPLAY_BUFFER_STOPPED'), 5_000, 'STOPPED on instance 2');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(socket.types().filter((t) => t === 'REPLAY_BUFFER_STOPPED')).toHaveLength(1);
    expect(await adapters[0]!.sessions.findLiveByUser(userId)).toBeNull();
    expect(liveEgressesIn(roomName)).toHaveLength(0);
    await socket.close();
  }, 30_000);

  it(`holds the community limit (${COMMUNITY_LIMIT}) across instances`, async () => {
    const communityId = uniqueId('community');
    const room = uniqueId('room');
    const userIds = Array.from({ length: 6 }, () => uniqueId('user'));
    const users = new Map<string, string>();
    const results = await Promise.allSettled(
      userIds.map((user, i) =>
        managers[i % 3]!.startReplayBuffer({
          userId: user,
          roomName: room,
          videoTrackId: 'TR_video',
          communityId,
        }),
      ),
    );
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') users.set(r.value.id, userIds[i]!);
    });
    const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(started).toHaveLength(COMMUNITY_LIMIT);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'LIMIT_REACHED' });
    }
    expect(liveEgressesIn(room)).toHaveLength(COMMUNITY_LIMIT);
    await Promise.all(
      started.map((s, i) =>
        managers[(i + 1) % 3]!.stopReplayBuffer({ sessionId: s.id, userId: users.get(s.id)! }),
      ),
    );
    await Promise.all(started.map((s) => emulator.waitForEnd(s.egressId!)));
    expect(liveEgressesIn(room)).toHaveLength(0);
  }, 60_000);

  it('saves a clip on an instance other than the one running the buffer; the save limit is shared', async () => {
    const owner = uniqueId('user');
    const buffer = await managers[0]!.startReplayBuffer({
      userId: owner,
      roomName: uniqueId('room'),
      videoTrackId: 'TR_video',
    });
    await emulator.waitForSegments(buffer.egressId!, 4, { timeoutMs: 30_000 });
    const clip = await managers[1]!.captureReplay({
      sessionId: buffer.id,
      userId: owner,
      durationSeconds: 4,
    });
    expect(Math.abs(clip.durationSeconds - 4)).toBeLessThanOrEqual(0.25);
    expect(clip.sessionId).toBe(buffer.id);
    expect((await managers[2]!.getClip({ clipId: clip.id, viewerId: owner })).id).toBe(clip.id);
    expect((await adapters[2]!.sessions.get(buffer.id))?.userId).toBe(owner);
    // The save limit (1 a minute here) counts across instances: a second save elsewhere is refused.
    await expect(
      managers[2]!.captureReplay({ sessionId: buffer.id, userId: owner, durationSeconds: 2 }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 1, windowMs: 60_000 } });
    await managers[2]!.stopReplayBuffer({ sessionId: buffer.id, userId: owner });
    await emulator.waitForEnd(buffer.egressId!);
  }, 60_000);

  it('runs each maintenance job on one instance per tick', async () => {
    const outcomes: Array<{ instance: number; job: string; outcome: JobTickOutcome }> = [];
    const intervalMs = 400;
    const started = Date.now();
    await Promise.all(
      managers.map((manager, instance) =>
        manager.startScheduler({
          reconcileIntervalMs: intervalMs,
          orphanIntervalMs: intervalMs,
          segmentSweepIntervalMs: intervalMs,
          watchSegments: false,
          onTick: (job, outcome) => outcomes.push({ instance, job: String(job), outcome }),
        }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await Promise.all(managers.map((manager) => manager.stopScheduler()));
    const elapsed = Date.now() - started;
    const jobs = [...new Set(outcomes.map((o) => o.job))];
    if (process.env.LKR_REPORT === '1') {
      const summary = jobs.map((job) => {
        const of = (outcome: string) => outcomes.filter((o) => o.job === job && o.outcome === outcome).length;
        return `${job}: ran ${of('ran')}, locked ${of('locked')}, busy ${of('busy')}`;
      });
      console.info(`[multi] ${elapsed} ms at ${intervalMs} ms intervals: ${summary.join('; ')}`);
    }
    expect(jobs.length).toBeGreaterThanOrEqual(3);
    for (const job of jobs) {
      const ran = outcomes.filter((o) => o.job === job && o.outcome === 'ran').length;
      const locked = outcomes.filter((o) => o.job === job && o.outcome === 'locked').length;
      // Three schedulers tick, but the lease lets one of them run per interval.
      expect(ran).toBeGreaterThanOrEqual(1);
      expect(ran).toBeLessThanOrEqual(Math.ceil(elapsed / intervalMs) + 1);
      expect(locked).toBeGreaterThanOrEqual(1);
      expect(outcomes.filter((o) => o.job === job && o.outcome === 'failed')).toEqual([]);
    }
  }, 30_000);

  it('leaves the Redis indexes consistent', async () => {
    expect(await findInconsistencies(admin, prefix)).toEqual([]);
  });
});

async function waitForStatus(sessionId: string, status: ReplaySession['status']): Promise<ReplaySession> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const current = await adapters[0]!.sessions.get(sessionId);
    if (current?.status === status) return current;
    if (Date.now() > deadline)
      throw new Error(`session ${sessionId} never became ${status} (is ${current?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
