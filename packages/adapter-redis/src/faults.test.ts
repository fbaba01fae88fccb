// Faults: Redis unreachable mid-run (a TCP proxy we cut) and Redis restarted with its data gone
// (a throwaway redis-server we kill). The shared server on 6379 is never touched.
import type { ReplayNotification } from '@livekit-replay/core';
import type { SessionStatus } from '@livekit-replay/core/adapter';
import { expectReplayError, newSessionInput, uniqueId, waitFor } from '@livekit-replay/testing/contracts';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { findInconsistencies } from './test-support/consistency.js';
import { freePort, TcpProxy, ThrowawayRedis, uniquePrefix } from './test-support/redis-env.js';

const LIVE: SessionStatus[] = ['starting', 'active'];
const prefix = uniquePrefix('faults');
let server: ThrowawayRedis;
let proxy: TcpProxy;
/** Direct connection to the throwaway server (around the proxy), for raw checks. */
let direct: Redis;
const opened: RedisAdapters[] = [];
const report = process.env.LKR_REPORT === '1';

/** Adapters tuned to notice an outage within about a second. */
function instance(url: string): RedisAdapters {
  const adapters = createRedisAdapters({
    url,
    keyPrefix: prefix,
    readyTimeoutMs: 1_000,
    operationTimeoutMs: 3_000,
    options: { commandTimeout: 1_000, connectTimeout: 1_000, retryStrategy: () => 100 },
  });
  opened.push(adapters);
  return adapters;
}

async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = performance.now();
  const result = await action();
  return { ms: performance.now() - start, result };
}

/** Retries `action` until it stops failing with STORAGE_ERROR (the client is reconnecting). */
async function whenBack<T>(action: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if ((error as { code?: string }).code !== 'STORAGE_ERROR' || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

beforeAll(async () => {
  server = await ThrowawayRedis.start();
  proxy = await TcpProxy.start(server.port);
  direct = new Redis(server.url, { retryStrategy: () => 100 });
  direct.on('error', () => {});
});

afterAll(async () => {
  await Promise.all(opened.map((adapters) => adapters.close()));
  direct?.disconnect();
  await proxy?.cut();
  await server?.stop();
});

describe('Redis unreachable mid-run (network cut, data kept)', () => {
  it('fails fast with STORAGE_ERROR while cut, recovers after, and keeps sessions and leases consistent', async () => {
    const a = instance(proxy.url);
    const b = instance(proxy.url);
    const userId = uniqueId('user');
    const communityId = uniqueId('community');
    const live = await a.sessions.create(newSessionInput({ userId, communityId }), { communityLimit: 5 });
    await a.sessions.transition(live.id, ['starting'], 'active', { egressId: uniqueId('EG') });
    const lockName = uniqueId('reconcile');
    const lease = (await a.jobLock.acquire(lockName, 60_000))!;
    expect(lease).not.toBeNull();

    // Operations in flight when the network drops: each either applied entirely or not at all.
    // Four workers issue creates and CAS patches back to back; the cut lands in the middle.
    const attemptedCreates: string[] = [];
    const outcomes: Array<{ ok: boolean; code?: string }> = [];
    const worker = async (w: number) => {
      for (let i = 0; ; i++) {
        try {
          if ((w + i) % 2 === 0) {
            const input = newSessionInput({ communityId });
            attemptedCreates.push(input.id);
            await b.sessions.create(input, { communityLimit: 5 });
          } else {
            await a.sessions.patch(live.id, LIVE, { missedSightings: i });
          }
          outcomes.push({ ok: true });
        } catch (error) {
          const code = (error as { code?: string }).code;
          outcomes.push({ ok: false, code });
          if (code === 'STORAGE_ERROR') return;
        }
      }
    };
    const workers = Promise.all([0, 1, 2, 3].map(worker));
    await new Promise((resolve) => setTimeout(resolve, 60));
    await proxy.cut();
    await workers;
    for (const outcome of outcomes) {
      if (!outcome.ok) expect(['STORAGE_ERROR', 'LIMIT_REACHED']).toContain(outcome.code);
    }
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(0);
    if (report) {
      const answered = outcomes.filter((o) => o.ok || o.code === 'LIMIT_REACHED').length;
      console.info(`[faults] operations before/at the cut: ${answered} answered, 4 cut off`);
    }

    // While cut: every kind of operation fails with STORAGE_ERROR, quickly, with the cause kept.
    const checks = {
      create: () => b.sessions.create(newSessionInput()),
      get: () => a.sessions.get(live.id),
      transition: () => a.sessions.transition(live.id, LIVE, 'stopped'),
      list: () => a.sessions.listByStatus(LIVE),
      acquire: () => b.jobLock.acquire(lockName, 60_000),
      renew: () => lease.renew(60_000),
      publish: () =>
        a.notifier.publish({
          type: 'REPLAY_BUFFER_STOPPED',
          id: 'n-faults',
          userId,
          sessionId: live.id,
          egressId: null,
          roomName: live.roomName,
          channelId: null,
          at: new Date().toISOString(),
          reason: 'x',
        }),
    };
    const failures = Object.fromEntries(
      await Promise.all(
        Object.entries(checks).map(
          async ([operation, action]) =>
            [operation, await timed(() => expectReplayError(action, 'STORAGE_ERROR'))] as const,
        ),
      ),
    );
    for (const [operation, { ms, result }] of Object.entries(failures)) {
      expect(result.message, operation).toMatch(/Redis .* failed/);
      expect((result as unknown as { cause?: unknown }).cause, operation).toBeInstanceOf(Error);
      // Fail fast: bounded by the ready timeout (1 s) and command timeout (1 s), never hanging.
      expect(ms, operation).toBeLessThan(4_000);
    }
    if (report) {
      const times = Object.entries(failures).map(([op, { ms }]) => `${op} ${ms.toFixed(0)} ms`);
      console.info(`[faults] failure latency while cut: ${times.join(', ')}`);
    }

    // Nothing changed on the server during the outage.
    expect(await findInconsistencies(direct, prefix)).toEqual([]);
    await proxy.restore();
    const back = await timed(() => whenBack(() => a.sessions.get(live.id)));
    if (report) console.info(`[faults] first successful command ${back.ms.toFixed(0)} ms after restore`);
    expect(back.result?.status).toBe('active');

    // The lease survived (the data did): the holder renews it and nobody else gets it.
    expect(await whenBack(() => lease.renew(60_000))).toBe(true);
    expect(await whenBack(() => b.jobLock.acquire(lockName, 60_000))).toBeNull();
    // The community limit still counts exactly the live sessions.
    const liveInCommunity = (await whenBack(() => b.sessions.listByStatus(LIVE))).filter(
      (s) => s.communityId === communityId,
    );
    expect(liveInCommunity.length).toBeLessThanOrEqual(5);
    expect(await direct.scard(`${prefix}community-live:${encodeURIComponent(communityId)}`)).toBe(
      liveInCommunity.length,
    );
    expect(await findInconsistencies(direct, prefix)).toEqual([]);
    // And normal service resumes.
    const stopped = await a.sessions.transition(live.id, LIVE, 'stopped', { endedAt: new Date() });
    expect(stopped?.status).toBe('stopped');
    expect((await b.sessions.create(newSessionInput({ userId }))).status).toBe('starting');
    await lease.release();
  });
});

describe('Redis restarted (process killed, data gone)', () => {
  it('fails with STORAGE_ERROR while down; after restart scripts reload, leases are granted once, subscribers return', async () => {
    const a = instance(server.url);
    const b = instance(server.url);
    const userId = uniqueId('user');
    const received: ReplayNotification[] = [];
    const unsubscribe = await b.notifier.subscribe((n) => {
      if (n.userId === userId) received.push(n);
    });
    const session = await a.sessions.create(newSessionInput({ userId }));
    const lockName = uniqueId('sweep');
    const lease = (await a.jobLock.acquire(lockName, 60_000))!;
    expect(lease).not.toBeNull();

    await server.stop();
    const down = await timed(() => expectReplayError(() => a.sessions.get(session.id), 'STORAGE_ERROR'));
    // While down, no acquirer gets a lease (an error is not a lease).
    const attemptsTimed = await timed(() =>
      Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).jobLock.acquire(lockName, 60_000)),
      ),
    );
    const attempts = attemptsTimed.result;
    if (report) {
      console.info(
        `[faults] after kill: get failed in ${down.ms.toFixed(0)} ms, 10 acquires in ${attemptsTimed.ms.toFixed(0)} ms`,
      );
    }
    expect(attempts.every((r) => r.status === 'rejected' && r.reason.code === 'STORAGE_ERROR')).toBe(true);
    expect(down.ms).toBeLessThan(4_000);

    await server.start();
    // The restarted server has an empty script cache: EVALSHA answers NOSCRIPT and ioredis
    // falls back to EVAL, so scripted operations work at once.
    const fresh = await whenBack(() => a.sessions.create(newSessionInput({ userId })));
    expect(fresh.status).toBe('starting'); // the old live session was lost with the data
    expect(await a.sessions.get(session.id)).toBeNull();

    // The lease key was lost too: among racing acquirers exactly one wins, and the old holder
    // learns on its next renew that it no longer holds it.
    const racing = await Promise.all(
      Array.from({ length: 20 }, (_, i) => whenBack(() => (i % 2 ? a : b).jobLock.acquire(lockName, 60_000))),
    );
    const winners = racing.filter((l) => l !== null);
    expect(winners).toHaveLength(1);
    expect(await lease.renew(60_000)).toBe(false);
    await lease.release(); // must not free the new holder's lease
    expect(await a.jobLock.acquire(lockName, 60_000)).toBeNull();
    await winners[0]!.release();

    // The subscriber reconnected and re-subscribed by itself.
    await waitFor(() => b.notifier.subscriberConnection?.status === 'ready', 10_000, 'subscriber reconnect');
    const deadline = Date.now() + 10_000;
    while (received.length === 0) {
      // Until the re-SUBSCRIBE is processed, a publish may reach nobody: publish again.
      await a.notifier.publish({
        type: 'REPLAY_BUFFER_STARTED',
        id: `n-${Date.now()}`,
        userId,
        sessionId: fresh.id,
        egressId: null,
        roomName: fresh.roomName,
        channelId: null,
        at: new Date().toISOString(),
        session: {
          id: fresh.id,
          status: 'starting',
          roomName: fresh.roomName,
          channelId: null,
          egressId: null,
          quality: fresh.quality,
          createdAt: fresh.createdAt.toISOString(),
          startedAt: null,
          endedAt: null,
        },
      });
      if (Date.now() > deadline) throw new Error('no delivery after the restart');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(received[0]?.type).toBe('REPLAY_BUFFER_STARTED');
    await unsubscribe();
    expect(await findInconsistencies(direct, prefix)).toEqual([]);
  });
});

describe('Redis silent (packets dropped) or full', () => {
  it('times out a black-holed connection: ours via commandTimeout, a plain client via operationTimeoutMs', async () => {
    const silentProxy = await TcpProxy.start(server.port);
    const ours = instance(silentProxy.url);
    // An integrator's client with ioredis defaults: offline queue on, no commandTimeout.
    const plain = new Redis(silentProxy.url);
    plain.on('error', () => {});
    const theirs = createRedisAdapters({ client: plain, keyPrefix: prefix, operationTimeoutMs: 1_500 });
    opened.push(theirs);
    try {
      const id = (await ours.sessions.create(newSessionInput())).id;
      expect((await theirs.sessions.get(id))?.id).toBe(id);
      await silentProxy.blackhole();
      const [a, b] = await Promise.all([
        timed(() => expectReplayError(() => ours.sessions.get(id), 'STORAGE_ERROR')),
        timed(() => expectReplayError(() => theirs.sessions.get(id), 'STORAGE_ERROR')),
      ]);
      expect(a.result.message).toMatch(/timed out/);
      expect(b.result.message).toMatch(/no answer from Redis within 1500 ms/);
      expect(a.ms).toBeLessThan(4_000);
      expect(b.ms).toBeLessThan(4_000);
      if (report) {
        console.info(
          `[faults] black hole: ours failed in ${a.ms.toFixed(0)} ms, plain client in ${b.ms.toFixed(0)} ms`,
        );
      }
    } finally {
      await silentProxy.cut();
      plain.disconnect();
    }
  });

  it('refuses writes with STORAGE_ERROR when Redis is out of memory, leaving nothing half-written', async () => {
    const a = instance(server.url);
    const userId = uniqueId('user');
    const communityId = uniqueId('community');
    const live = await a.sessions.create(newSessionInput({ userId, communityId }), { communityLimit: 3 });
    await direct.config('SET', 'maxmemory-policy', 'noeviction');
    await direct.config('SET', 'maxmemory', '1');
    try {
      const blocked = newSessionInput({ communityId });
      const refused = await expectReplayError(
        () => a.sessions.create(blocked, { communityLimit: 3 }),
        'STORAGE_ERROR',
      );
      expect(refused.message).toMatch(/OOM/);
      await expectReplayError(() => a.sessions.transition(live.id, ['starting'], 'active'), 'STORAGE_ERROR');
      // Reads still work, and show nothing changed.
      expect((await a.sessions.get(live.id))?.status).toBe('starting');
      expect(await a.sessions.get(blocked.id)).toBeNull();
      expect(await findInconsistencies(direct, prefix)).toEqual([]);
    } finally {
      await direct.config('SET', 'maxmemory', '0');
    }
    expect((await a.sessions.transition(live.id, ['starting'], 'active'))?.status).toBe('active');
  });
});

describe('Redis never reachable', () => {
  it('fails with STORAGE_ERROR after the ready timeout instead of hanging, and close() still works', async () => {
    const nothing = `redis://127.0.0.1:${await freePort()}`;
    const adapters = instance(nothing);
    const { ms, result } = await timed(() =>
      expectReplayError(() => adapters.sessions.get('rs_1'), 'STORAGE_ERROR'),
    );
    expect(result.message).toMatch(/ECONNREFUSED|not connected/);
    expect(ms).toBeLessThan(4_000);
    await expectReplayError(() => adapters.notifier.subscribe(() => {}), 'STORAGE_ERROR');
    expect(adapters.notifier.subscriberConnection).toBeNull();
    await adapters.close();
    // Closed means closed: no more reconnect attempts, and commands fail at once.
    const statuses = new Set<string>();
    adapters.client.on('connecting', () => statuses.add('connecting'));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(statuses.size).toBe(0);
    const after = await timed(() => expectReplayError(() => adapters.sessions.get('rs_1'), 'STORAGE_ERROR'));
    expect(after.result.message).toMatch(/closed/);
    expect(after.ms).toBeLessThan(100);
  });
});
