// Pub/sub across separate connections, a subscriber whose connection is killed, and clean
// unsubscribe, against the shared Redis (only our own connections are ever killed).
import type { ReplayNotification } from '@livekit-replay/core';
import { uniqueId, waitFor } from '@livekit-replay/testing/contracts';
import { describe, expect, it } from 'vitest';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { REDIS_URL, useSharedRedis } from './test-support/redis-env.js';

const shared = useSharedRedis('notifier');
const { prefix } = shared;
const channel = `${prefix}notifications`;

function instance(): RedisAdapters {
  const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
  shared.track(adapters);
  return adapters;
}

function ready(userId: string, n: number): ReplayNotification {
  return {
    type: 'CLIP_READY',
    id: `n_${n}`,
    userId,
    sessionId: null,
    egressId: null,
    roomName: null,
    channelId: null,
    at: new Date().toISOString(),
    captureId: `cap_${n}`,
    clipId: `clip_${n}`,
  };
}

async function subscribers(): Promise<number> {
  const [, count] = (await shared.admin.pubsub('NUMSUB', channel)) as [string, number];
  return Number(count);
}

async function waitForSubscribers(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await subscribers()) !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} subscribers, have ${await subscribers()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('RedisNotifier', () => {
  it('carries a notification published on connection A to a subscriber on connection B', async () => {
    const a = instance();
    const b = instance();
    const userId = uniqueId('user');
    const received: ReplayNotification[] = [];
    const unsubscribe = await b.notifier.subscribe((n) => {
      if (n.userId === userId) received.push(n);
    });
    // Three separate connections: A's commands, B's commands, B's dedicated subscriber.
    const subscriber = b.notifier.subscriberConnection!;
    expect(subscriber).not.toBeNull();
    expect(subscriber).not.toBe(b.client);
    expect(a.client).not.toBe(b.client);
    expect(a.notifier.subscriberConnection).toBeNull();
    const sent = ready(userId, 1);
    await a.notifier.publish(sent);
    await waitFor(() => received.length === 1, 5_000, 'the notification on B');
    expect(received[0]).toEqual(sent);
    await unsubscribe();
  });

  it('shares one subscriber connection between listeners and closes it after the last one leaves', async () => {
    const b = instance();
    const before = await subscribers();
    const unsubscribers = await Promise.all(Array.from({ length: 10 }, () => b.notifier.subscribe(() => {})));
    expect(await subscribers()).toBe(before + 1);
    expect(b.notifier.listenerCount()).toBe(10);
    for (const unsubscribe of unsubscribers.slice(0, 9)) await unsubscribe();
    expect(await subscribers()).toBe(before + 1);
    const connection = b.notifier.subscriberConnection!;
    await unsubscribers[9]!();
    expect(b.notifier.subscriberConnection).toBeNull();
    expect(connection.status).toBe('end');
    await waitForSubscribers(before);
    // Subscribing again opens a fresh connection that works.
    const userId = uniqueId('user');
    const received: ReplayNotification[] = [];
    const again = await b.notifier.subscribe((n) => {
      if (n.userId === userId) received.push(n);
    });
    await b.notifier.publish(ready(userId, 2));
    await waitFor(() => received.length === 1, 5_000, 'delivery after re-subscribing');
    await again();
  });

  it('re-subscribes by itself after its connection is killed, and delivers again', async () => {
    const a = instance();
    const b = instance();
    const userId = uniqueId('user');
    const received: ReplayNotification[] = [];
    const unsubscribe = await b.notifier.subscribe((n) => {
      if (n.userId === userId) received.push(n);
    });
    await a.notifier.publish(ready(userId, 1));
    await waitFor(() => received.length === 1, 5_000, 'the first notification');

    const subscriber = b.notifier.subscriberConnection!;
    const before = await subscribers();
    const localPort = (subscriber as unknown as { stream: { localPort: number } }).stream.localPort;
    // Kill exactly our subscriber's connection on the server side.
    expect(await shared.admin.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${localPort}`, 'SKIPME', 'yes')).toBe(
      1,
    );
    await waitFor(() => subscriber.status !== 'ready', 5_000, 'the subscriber to notice');
    await waitFor(() => subscriber.status === 'ready', 10_000, 'the subscriber to reconnect');
    await waitForSubscribers(before);
    const port = (subscriber as unknown as { stream: { localPort: number } }).stream.localPort;
    expect(port).not.toBe(localPort);

    await a.notifier.publish(ready(userId, 2));
    await waitFor(() => received.length === 2, 5_000, 'the notification after the reconnect');
    expect(received.map((n) => (n.type === 'CLIP_READY' ? n.clipId : ''))).toEqual(['clip_1', 'clip_2']);
    await unsubscribe();
  });

  it('works on an integrator client created with lazyConnect (connects on first use)', async () => {
    const { Redis } = await import('ioredis');
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    client.on('error', () => {});
    const adapters = createRedisAdapters({ client, keyPrefix: prefix });
    shared.track(adapters);
    try {
      expect(client.status).toBe('wait');
      const userId = uniqueId('user');
      const received: ReplayNotification[] = [];
      const unsubscribe = await adapters.notifier.subscribe((n) => {
        if (n.userId === userId) received.push(n);
      });
      await adapters.notifier.publish(ready(userId, 9));
      await waitFor(() => received.length === 1, 5_000, 'delivery on a lazy client');
      expect(client.status).toBe('ready');
      await unsubscribe();
    } finally {
      await adapters.close();
      // close() leaves a client it did not open alone.
      expect(client.status).toBe('ready');
      client.disconnect();
    }
  });

  it('skips messages on the channel that are not notifications and reports them', async () => {
    const invalid: string[] = [];
    const adapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix });
    shared.track(adapters);
    const { RedisNotifier } = await import('./redis-notifier.js');
    const notifier = new RedisNotifier(adapters.client, {
      keyPrefix: prefix,
      onInvalidMessage: (message) => invalid.push(message),
    });
    const userId = uniqueId('user');
    const received: ReplayNotification[] = [];
    const unsubscribe = await notifier.subscribe((n) => {
      if (n.userId === userId) received.push(n);
    });
    await shared.admin.publish(channel, 'not json');
    await shared.admin.publish(channel, JSON.stringify({ hello: 'world' }));
    await notifier.publish(ready(userId, 3));
    await waitFor(() => received.length === 1, 5_000, 'the valid notification');
    expect(invalid).toEqual(['not json', '{"hello":"world"}']);
    await unsubscribe();
    await notifier.close();
  });
});
