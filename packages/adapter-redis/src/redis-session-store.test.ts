// Redis-specific behaviour of the session store, beyond the shared contract: the key layout,
// races across separate connections, expiry of ended sessions, validation before any command.
import type { NewSession, ReplaySession, SessionStatus } from '@livekit-replay/core/adapter';
import { expectReplayError, newSessionInput, uniqueId } from '@livekit-replay/testing/contracts';
import { describe, expect, it } from 'vitest';
import { createRedisAdapters } from './create-redis-adapters.js';
import { keyPart } from './keys.js';
import { RedisSessionStore } from './redis-session-store.js';
import { findInconsistencies } from './test-support/consistency.js';
import { REDIS_URL, useSharedRedis } from './test-support/redis-env.js';

const LIVE: SessionStatus[] = ['starting', 'active'];
const shared = useSharedRedis('sessions');
const { prefix } = shared;

/** A separate connection with its own store, like another app instance. */
function instance(extra: Partial<Parameters<typeof createRedisAdapters>[0]> = {}): RedisSessionStore {
  const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix, ...extra } as Parameters<
    typeof createRedisAdapters
  >[0]);
  shared.track(adapters);
  return adapters.sessions;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RedisSessionStore: stored form', () => {
  it('writes the documented key layout and round-trips every field exactly', async () => {
    const store = instance();
    const communityId = uniqueId('community');
    const egressId = uniqueId('EG');
    const input = newSessionInput({
      communityId,
      egressId,
      audioTrackId: 'TR_A',
      channelId: 'general',
      segmentDurationSeconds: 3,
      quality: 'source',
    });
    const created = await store.create(input);
    const startedAt = new Date(Date.UTC(2026, 10, 21, 13, 59, 58, 123));
    const active = (await store.transition(created.id, ['starting'], 'active', { startedAt }))!;
    expect(active.startedAt).toEqual(startedAt);
    expect(active.startedAt).toBeInstanceOf(Date);
    expect(active.segmentDurationSeconds).toBe(3);

    const hash = await shared.admin.hgetall(`${prefix}session:${created.id}`);
    expect(hash).toMatchObject({
      id: created.id,
      userId: input.userId,
      status: 'active',
      communityId,
      egressId,
      createdAt: String(created.createdAt.getTime()),
      startedAt: String(startedAt.getTime()),
      segmentDurationSeconds: '3',
      missedSightings: '0',
    });
    // Null fields are absent, not "null" strings.
    expect(hash.endedAt).toBeUndefined();
    expect(hash.error).toBeUndefined();
    expect(await shared.admin.get(`${prefix}user-live:${keyPart(input.userId)}`)).toBe(created.id);
    expect(await shared.admin.sismember(`${prefix}community-live:${keyPart(communityId)}`, created.id)).toBe(
      1,
    );
    expect(await shared.admin.get(`${prefix}egress:${keyPart(egressId)}`)).toBe(created.id);
    expect(await shared.admin.zscore(`${prefix}status:active`, created.id)).toBe(
      String(created.createdAt.getTime()),
    );
    expect(await shared.admin.zscore(`${prefix}status:starting`, created.id)).toBeNull();
    // A live session never expires.
    expect(await shared.admin.ttl(`${prefix}session:${created.id}`)).toBe(-1);

    const endedAt = new Date(Date.UTC(2026, 10, 21, 14, 0, 1, 7));
    const stopped = (await store.transition(created.id, LIVE, 'stopped', { endedAt, endReason: 'user' }))!;
    expect(await store.get(created.id)).toEqual(stopped);
    expect(await shared.admin.get(`${prefix}user-live:${keyPart(input.userId)}`)).toBeNull();
    expect(await shared.admin.sismember(`${prefix}community-live:${keyPart(communityId)}`, created.id)).toBe(
      0,
    );
    expect(await shared.admin.zscore(`${prefix}ended`, created.id)).toBe(String(endedAt.getTime()));
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
  });

  it('keeps ids with separators, hash tags and non-ASCII characters apart in key names', async () => {
    const store = instance();
    const tricky = ['a:b', 'a', '{tag}x', 'ünïcødé 用户', 'a%3Ab', "o'k (1)*~!"];
    const sessions = await Promise.all(
      tricky.map((userId) => store.create(newSessionInput({ userId, communityId: `c:${userId}` }))),
    );
    for (const [i, userId] of tricky.entries()) {
      expect((await store.findLiveByUser(userId))?.id).toBe(sessions[i]!.id);
    }
    // The Lua side encodes ids exactly as keys.ts does: ending each session clears its pointer.
    for (const session of sessions) {
      await store.transition(session.id, LIVE, 'stopped', { endedAt: new Date() });
    }
    for (const userId of tricky) expect(await store.findLiveByUser(userId)).toBeNull();
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
  });

  it('takes createdAt/updatedAt from the injected clock and orders ties by id', async () => {
    let now = new Date(Date.UTC(2030, 0, 1));
    const store = instance({ now: () => now });
    const ids = ['rs_tie_c', 'rs_tie_a', 'rs_tie_b'].map((base) => `${base}_${uniqueId('x')}`);
    for (const id of ids) await store.create(newSessionInput({ id }));
    now = new Date(Date.UTC(2030, 0, 2));
    const moved = await store.transition(ids[0]!, ['starting'], 'active');
    expect(moved?.createdAt).toEqual(new Date(Date.UTC(2030, 0, 1)));
    expect(moved?.updatedAt).toEqual(now);
    const ours = new Set(ids);
    const listed = (await store.listByStatus(LIVE)).filter((s) => ours.has(s.id)).map((s) => s.id);
    expect(listed).toEqual([...ids].sort());
  });

  it('reports a hash that is not a session as STORAGE_ERROR', async () => {
    const store = instance();
    const id = uniqueId('rs');
    await shared.admin.hset(`${prefix}session:${id}`, { id, status: 'weird' });
    await expectReplayError(() => store.get(id), 'STORAGE_ERROR');
    await shared.admin.del(`${prefix}session:${id}`);
  });
});

describe('RedisSessionStore: a client with its own ioredis keyPrefix', () => {
  it('keeps every key (including those the scripts build) under the client prefix', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(REDIS_URL, { keyPrefix: `${prefix}app:` });
    client.on('error', () => {});
    const adapters = createRedisAdapters({ client, keyPrefix: 'lkr:' });
    shared.track(adapters);
    try {
      const store = adapters.sessions;
      const userId = uniqueId('user');
      const communityId = uniqueId('community');
      const first = await store.create(newSessionInput({ userId, communityId }), { communityLimit: 1 });
      await expectReplayError(() => store.create(newSessionInput({ userId })), 'ALREADY_ACTIVE');
      await expectReplayError(
        () => store.create(newSessionInput({ communityId }), { communityLimit: 1 }),
        'LIMIT_REACHED',
      );
      const egressId = uniqueId('EG');
      await store.transition(first.id, ['starting'], 'active', { egressId });
      expect((await store.findLiveByUser(userId))?.id).toBe(first.id);
      expect((await store.findByEgressId(egressId))?.id).toBe(first.id);
      expect((await store.listByStatus(['active'])).map((s) => s.id)).toContain(first.id);
      await store.transition(first.id, ['active'], 'stopped', { endedAt: new Date() });
      expect((await store.listEndedBefore(new Date(Date.now() + 1_000))).map((s) => s.id)).toContain(
        first.id,
      );
      expect(await store.delete(first.id)).toBe(true);
      const lease = await adapters.jobLock.acquire('job', 5_000);
      expect(await lease?.renew(5_000)).toBe(true);
      expect(await shared.admin.exists(`${prefix}app:lkr:lock:job`)).toBe(1);
      await lease?.release();
      // Nothing was written outside the client's prefix, and the indexes agree.
      const stray = (await shared.admin.keys(`${prefix}lkr:*`)).length;
      expect(stray).toBe(0);
      expect(await findInconsistencies(shared.admin, `${prefix}app:lkr:`)).toEqual([]);
    } finally {
      await adapters.close();
      client.disconnect();
    }
  });
});

describe('RedisSessionStore: races across connections', () => {
  it('50 parallel creates for one user over 5 connections: exactly one wins', async () => {
    const stores = Array.from({ length: 5 }, () => instance());
    const userId = uniqueId('user');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => stores[i % 5]!.create(newSessionInput({ userId }))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const codes = results.flatMap((r) =>
      r.status === 'rejected' ? [(r.reason as { code: string }).code] : [],
    );
    expect(won).toHaveLength(1);
    expect(codes).toEqual(Array(49).fill('ALREADY_ACTIVE'));
    const winner = (won[0] as PromiseFulfilledResult<ReplaySession>).value;
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason.details).toEqual({ sessionId: winner.id });
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
  });

  it('community limit 4 under 40 racing users, then 2 freed slots under 20 more: 4, then exactly 2', async () => {
    const stores = Array.from({ length: 4 }, () => instance());
    const communityId = uniqueId('community');
    const race = async (count: number) =>
      Promise.allSettled(
        Array.from({ length: count }, (_, i) =>
          stores[i % 4]!.create(newSessionInput({ communityId }), { communityLimit: 4 }),
        ),
      );
    const first = await race(40);
    const winners = first.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(winners).toHaveLength(4);
    expect(
      first.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code),
    ).toEqual(Array(36).fill('LIMIT_REACHED'));
    await stores[0]!.transition(winners[0]!.id, LIVE, 'stopped', { endedAt: new Date() });
    await stores[1]!.transition(winners[1]!.id, LIVE, 'failed', { endedAt: new Date(), error: 'x' });
    const second = await race(20);
    expect(second.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(await shared.admin.scard(`${prefix}community-live:${keyPart(communityId)}`)).toBe(4);
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
  });

  it('webhook, user stop, reconciliation and heal racing on shared sessions keep every index consistent', async () => {
    const stores = Array.from({ length: 4 }, () => instance());
    const users = Array.from({ length: 6 }, () => uniqueId('user'));
    const communityId = uniqueId('community');
    const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;
    const ids: string[] = [];
    const operations: Array<() => Promise<unknown>> = [];
    for (let i = 0; i < 300; i++) {
      const store = pick(stores);
      const kind = i < 30 ? 0 : Math.floor(Math.random() * 7);
      operations.push(async () => {
        const id = pick(ids.length > 0 ? ids : ['rs_none']);
        switch (kind) {
          case 0: {
            const input: NewSession = newSessionInput({ userId: pick(users), communityId });
            ids.push(input.id);
            return store.create(input, { communityLimit: 4 });
          }
          case 1:
            return store.transition(id, ['starting'], 'active', {
              startedAt: new Date(),
              egressId: uniqueId('EG'),
            });
          case 2:
            return store.transition(id, LIVE, 'stopped', { endedAt: new Date(), endReason: 'webhook' });
          case 3:
            return store.transition(id, LIVE, 'failed', { endedAt: new Date(), error: 'boom' });
          case 4:
            return store.transition(id, ['stopped'], 'active', { endedAt: null, endReason: null });
          case 5:
            return store.patch(id, LIVE, { missedSightings: 1, egressId: uniqueId('EG') });
          default:
            return Math.random() < 0.3
              ? store.delete(id)
              : store.create(newSessionInput({ userId: pick(users) }));
        }
      });
    }
    const results = await Promise.allSettled(operations.map((operation) => operation()));
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(['ALREADY_ACTIVE', 'LIMIT_REACHED']).toContain((result.reason as { code: string }).code);
      }
    }
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
    const live = (await stores[0]!.listByStatus(LIVE)).filter((s) => s.communityId === communityId);
    expect(live.length).toBeLessThanOrEqual(4 + users.length); // heals may exceed the limit, users may not
    for (const user of users) {
      expect(
        (await stores[0]!.listByStatus(LIVE)).filter((s) => s.userId === user).length,
      ).toBeLessThanOrEqual(1);
    }
  });
});

describe('RedisSessionStore: expiry of ended sessions', () => {
  it('expires an ended session and its egress key after the TTL, and prunes the indexes', async () => {
    const store = instance({ endedSessionTtlSeconds: 1 });
    const egressId = uniqueId('EG');
    const session = await store.create(newSessionInput({ egressId, communityId: uniqueId('community') }));
    await store.transition(session.id, ['starting'], 'active');
    const endedAt = new Date();
    await store.transition(session.id, LIVE, 'stopped', { endedAt, endReason: 'user' });
    const pttl = await shared.admin.pttl(`${prefix}session:${session.id}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(1_000);
    expect(await shared.admin.pttl(`${prefix}egress:${keyPart(egressId)}`)).toBeGreaterThan(0);
    // A later patch does not extend the expiry.
    await store.patch(session.id, ['stopped'], { missedSightings: 3 });
    expect(await shared.admin.pttl(`${prefix}session:${session.id}`)).toBeLessThanOrEqual(pttl);

    await sleep(1_300);
    expect(await store.get(session.id)).toBeNull();
    expect(await store.findByEgressId(egressId)).toBeNull();
    expect(await shared.admin.exists(`${prefix}egress:${keyPart(egressId)}`)).toBe(0);
    // Index entries outlive the hash until a listing prunes them.
    expect(await shared.admin.zscore(`${prefix}ended`, session.id)).not.toBeNull();
    const ended = await store.listEndedBefore(new Date(Date.now() + 60_000));
    expect(ended.map((s) => s.id)).not.toContain(session.id);
    expect(await shared.admin.zscore(`${prefix}ended`, session.id)).toBeNull();
    expect((await store.listByStatus(['stopped'])).map((s) => s.id)).not.toContain(session.id);
    expect(await shared.admin.zscore(`${prefix}status:stopped`, session.id)).toBeNull();
    // The user is free, and nothing dangles.
    expect((await store.create(newSessionInput({ userId: session.userId }))).status).toBe('starting');
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
  });

  it('defaults to 7 days, keeps sessions forever with null, and a heal removes the expiry', async () => {
    const byDefault = instance();
    const forever = instance({ endedSessionTtlSeconds: null });
    const a = await byDefault.create(newSessionInput());
    await byDefault.transition(a.id, LIVE, 'stopped', { endedAt: new Date() });
    const ttl = await shared.admin.ttl(`${prefix}session:${a.id}`);
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
    const healed = await byDefault.transition(a.id, ['stopped'], 'active', { endedAt: null });
    expect(healed?.status).toBe('active');
    expect(await shared.admin.ttl(`${prefix}session:${a.id}`)).toBe(-1);
    expect(await shared.admin.zscore(`${prefix}ended`, a.id)).toBeNull();

    const b = await forever.create(newSessionInput());
    await forever.transition(b.id, LIVE, 'failed', { endedAt: new Date(), error: 'x' });
    expect(await shared.admin.ttl(`${prefix}session:${b.id}`)).toBe(-1);
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
  });
});

describe('RedisSessionStore: validation', () => {
  it('refuses malformed input with INVALID_INPUT before sending any command', async () => {
    // A store whose connection is closed: any command would fail with STORAGE_ERROR.
    const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
    await adapters.close();
    const store = adapters.sessions;
    await expectReplayError(() => store.get('../etc/passwd'), 'INVALID_INPUT');
    await expectReplayError(() => store.delete('a b'), 'INVALID_INPUT');
    await expectReplayError(() => store.findLiveByUser(''), 'INVALID_INPUT');
    await expectReplayError(() => store.findByEgressId('x'.repeat(129)), 'INVALID_INPUT');
    await expectReplayError(() => store.findLiveByUser('\ud800'), 'INVALID_INPUT');
    await expectReplayError(
      () => store.transition('rs_ok', ['bogus' as SessionStatus], 'stopped'),
      'INVALID_INPUT',
    );
    await expectReplayError(() => store.transition('rs_ok', LIVE, 'ended' as SessionStatus), 'INVALID_INPUT');
    await expectReplayError(
      () => store.patch('rs_ok', LIVE, { endedAt: new Date(Number.NaN) }),
      'INVALID_INPUT',
    );
    await expectReplayError(() => store.patch('rs_ok', LIVE, { missedSightings: -1 }), 'INVALID_INPUT');
    await expectReplayError(() => store.listEndedBefore(new Date('nope')), 'INVALID_INPUT');
    await expectReplayError(() => store.create(newSessionInput({ egressId: '' })), 'INVALID_INPUT');
    await expectReplayError(
      () => store.create(newSessionInput({ segmentDurationSeconds: Number.POSITIVE_INFINITY })),
      'INVALID_INPUT',
    );
    // …and a well-formed call does reach the (closed) connection.
    await expectReplayError(() => store.get('rs_ok'), 'STORAGE_ERROR');
  });

  it('refuses a bad key prefix or TTL as CONFIG_INVALID', async () => {
    expect(() => createRedisAdapters({ url: REDIS_URL, keyPrefix: 'a*b' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => new RedisSessionStore(shared.admin, { endedSessionTtlSeconds: 0 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});
