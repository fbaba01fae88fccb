import { describe, expect, it } from 'vitest';
import { ReplayNotificationType } from '../events.js';
import type { NewSession } from '../types.js';
import { createMemoryStores } from './create-memory-stores.js';
import { InProcessJobLock } from './in-process-job-lock.js';
import { InProcessNotifier } from './in-process-notifier.js';
import { MemorySessionStore } from './memory-session-store.js';

// The behaviour shared with every adapter is covered by the contract suites
// (packages/testing/src/contracts/memory.test.ts); these tests cover what only memory has.

function fakeClock(start: number) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

const input: NewSession = {
  id: 'rs_clock',
  userId: 'user-1',
  roomName: 'room',
  videoTrackId: 'TR_v',
  audioTrackId: null,
  communityId: null,
  channelId: null,
  quality: '720p',
  egressId: null,
  segmentDir: 'rs_clock',
  filenamePrefix: 'replay',
  playlistName: 'replay.m3u8',
  livePlaylistName: 'replay-live.m3u8',
  segmentNaming: 'INDEX',
  segmentDurationSeconds: 2,
};

describe('memory stores with an injected clock', () => {
  it('stamps createdAt and updatedAt from the clock', async () => {
    const clock = fakeClock(Date.UTC(2030, 0, 1));
    const store = new MemorySessionStore({ now: clock.now });
    const created = await store.create(input);
    expect(created.createdAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    clock.advance(5_000);
    const active = await store.transition(created.id, ['starting'], 'active');
    expect(active?.updatedAt.toISOString()).toBe('2030-01-01T00:00:05.000Z');
    expect(active?.createdAt.toISOString()).toBe('2030-01-01T00:00:00.000Z');
  });

  it('does not store properties that are not part of a session', async () => {
    const store = new MemorySessionStore();
    const created = await store.create({ ...input, secret: 'x' } as NewSession);
    expect(created).not.toHaveProperty('secret');
  });

  it('createMemoryStores shares the clock with the session store', async () => {
    const clock = fakeClock(Date.UTC(2031, 5, 1));
    const stores = createMemoryStores({ now: clock.now });
    expect((await stores.sessions.create(input)).createdAt.getUTCFullYear()).toBe(2031);
    expect(Object.keys(stores).sort()).toEqual(['clips', 'communities', 'quotas', 'sessions']);
  });

  it('expires job leases by the clock, without real waiting', async () => {
    const clock = fakeClock(0);
    const lock = new InProcessJobLock({ now: clock.now });
    const first = await lock.acquire('tick', 1_000);
    clock.advance(999);
    expect(await lock.acquire('tick', 1_000)).toBeNull();
    clock.advance(1);
    expect(await first!.renew(1_000)).toBe(false);
    const second = await lock.acquire('tick', 1_000);
    expect(second).not.toBeNull();
    clock.advance(500);
    expect(await second!.renew(1_000)).toBe(true);
    clock.advance(900);
    expect(await lock.acquire('tick', 1_000)).toBeNull();
  });
});

describe('InProcessNotifier', () => {
  it('reports a throwing listener to onListenerError and gives each listener its own copy', async () => {
    const errors: unknown[] = [];
    const notifier = new InProcessNotifier({ onListenerError: (error) => errors.push(error) });
    const seen: string[] = [];
    await notifier.subscribe((notification) => {
      (notification as { userId: string }).userId = 'tampered';
      throw new Error('listener bug');
    });
    const unsubscribe = await notifier.subscribe((notification) => seen.push(notification.userId));
    await notifier.publish({
      type: ReplayNotificationType.REPLAY_BUFFER_STOPPED,
      id: 'n-1',
      userId: 'user-1',
      sessionId: null,
      egressId: null,
      roomName: null,
      channelId: null,
      at: new Date(0).toISOString(),
      reason: 'user',
    });
    expect(seen).toEqual(['user-1']);
    expect(errors).toHaveLength(1);
    expect(notifier.listenerCount()).toBe(2);
    await unsubscribe();
    expect(notifier.listenerCount()).toBe(1);
  });
});
