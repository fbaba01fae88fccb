// The adapters on a Redis Cluster (three masters, started here): with a hash-tagged prefix every
// key lands in one slot, so the scripts, MULTI and pipelines work; the contract suites run on it.
import type { ReplayNotification } from '@livekit-replay/core';
import {
  runJobLockContract,
  runNotifierContract,
  runSessionStoreContract,
  uniqueId,
  waitFor,
} from '@livekit-replay/testing/contracts';
import { Cluster, type ClusterOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAIL_FAST_OPTIONS } from './connection.js';
import { createRedisAdapters, type RedisAdapters } from './create-redis-adapters.js';
import { ThrowawayCluster } from './test-support/redis-env.js';

const PREFIX = '{lkr}:';
let cluster: ThrowawayCluster;
const clients: Cluster[] = [];
const opened: RedisAdapters[] = [];

beforeAll(async () => {
  cluster = await ThrowawayCluster.start();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(opened.map((adapters) => adapters.close()));
  for (const client of clients) client.disconnect();
  await cluster?.stop();
});

/** A Cluster client with the fail-fast settings the README recommends. */
function clusterClient(): Cluster {
  const { enableOfflineQueue, ...redisOptions } = FAIL_FAST_OPTIONS;
  const options: ClusterOptions = { enableOfflineQueue, redisOptions };
  const client = new Cluster(cluster.nodes, options);
  client.on('error', () => {});
  clients.push(client);
  return client;
}

function instance(): RedisAdapters {
  const adapters = createRedisAdapters({ client: clusterClient(), keyPrefix: PREFIX });
  opened.push(adapters);
  return adapters;
}

runSessionStoreContract({ name: 'redis cluster', create: () => instance().sessions });
runJobLockContract({ name: 'redis cluster', create: () => instance().jobLock, crossInstance: true });
runNotifierContract({ name: 'redis cluster', create: () => instance().notifier, crossInstance: true });

describe('Redis Cluster', () => {
  it('refuses a prefix without a hash tag, which would scatter keys over slots', () => {
    expect(() => createRedisAdapters({ client: clusterClient(), keyPrefix: 'lkr:' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('{lkr}:') }),
    );
  });

  it('keeps every key in the slot of the hash tag', async () => {
    const adapters = instance();
    const session = await adapters.sessions.create({
      id: 'rs_cluster_slot',
      userId: 'user:{other}',
      roomName: 'room',
      videoTrackId: 'TR',
      audioTrackId: null,
      communityId: 'community{x}',
      channelId: null,
      quality: '720p',
      egressId: 'EG_cluster_slot',
      segmentDir: 'rs_cluster_slot',
      filenamePrefix: 'replay',
      playlistName: 'replay.m3u8',
      livePlaylistName: 'replay-live.m3u8',
      segmentNaming: 'INDEX',
      segmentDurationSeconds: 2,
    });
    expect((await adapters.sessions.findLiveByUser('user:{other}'))?.id).toBe(session.id);
    const client = adapters.client as Cluster;
    const slot = await client.cluster('KEYSLOT', `${PREFIX}anything`);
    const keys: string[] = [];
    for (const node of client.nodes('master')) keys.push(...(await node.keys(`${PREFIX}*`)));
    expect(keys.length).toBeGreaterThanOrEqual(5);
    for (const key of keys) expect(await client.cluster('KEYSLOT', key)).toBe(slot);
    expect(await adapters.sessions.delete(session.id)).toBe(true);
  });

  it('delivers 100 notifications from one instance to another in publishing order', async () => {
    const a = instance();
    const b = instance();
    const userId = uniqueId('user');
    const received: string[] = [];
    const unsubscribe = await b.notifier.subscribe((n) => {
      if (n.userId === userId && n.type === 'REPLAY_BUFFER_STOPPED') received.push(n.reason);
    });
    const sent = Array.from({ length: 100 }, (_, i) => `r${i}`);
    await Promise.all(
      sent.map((reason) => {
        const notification: ReplayNotification = {
          type: 'REPLAY_BUFFER_STOPPED',
          id: `n-${reason}`,
          userId,
          sessionId: null,
          egressId: null,
          roomName: null,
          channelId: null,
          at: new Date().toISOString(),
          reason,
        };
        return a.notifier.publish(notification);
      }),
    );
    await waitFor(() => received.length === 100, 10_000, '100 notifications');
    expect(received).toEqual(sent);
    await unsubscribe();
  });
});
