import { randomBytes } from 'node:crypto';
import { createRedisAdapters, type RedisAdapters } from '@livekit-replay/adapter-redis';
import { type ReplayNotification, SOCKET_NAMESPACE } from '@livekit-replay/core/contract';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_SOCKET_READY, REPLAY_SOCKET_UNAUTHORIZED } from '../src/index.js';
import { type ReplayEnv, startReplayEnv, uniqueUser } from './support/replay-env.js';

const API = 'livekit/replay';
const REDIS_URL = process.env.LKR_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A socket.io client for `userId` (the test apps accept the user id as the handshake token). */
async function connect(
  baseUrl: string,
  token: string,
): Promise<{ socket: Socket; events: ReplayNotification[] }> {
  const socket = io(`${baseUrl}${SOCKET_NAMESPACE}`, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
  });
  const events: ReplayNotification[] = [];
  socket.onAny((event: string, payload: ReplayNotification) => {
    if (event !== REPLAY_SOCKET_READY) events.push(payload);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once(REPLAY_SOCKET_READY, () => resolve());
    socket.once('connect_error', reject);
    socket.once('disconnect', () => reject(new Error('disconnected before ready')));
  });
  return { socket, events };
}

// Two Nest instances on one LiveKit (emulator) and one Redis: the Redis notifier carries every
// notification to every instance, and each gateway delivers to the sockets it holds.
describe('socket.io gateway, across two instances through the Redis notifier', () => {
  const keyPrefix = `lkr-nest-${randomBytes(4).toString('hex')}:`;
  const user = uniqueUser('socket-user');
  const adapters: RedisAdapters[] = [];
  const sockets: Socket[] = [];
  let a: ReplayEnv;
  let b: ReplayEnv;

  function instance(emulator?: ReplayEnv['emulator']): Promise<ReplayEnv> {
    const redis = createRedisAdapters({ url: REDIS_URL, keyPrefix });
    adapters.push(redis);
    return startReplayEnv({
      historySeconds: 20,
      ...(emulator ? { emulator } : {}),
      manager: {
        stores: { sessions: redis.sessions },
        coordination: { notifier: redis.notifier, jobLock: redis.jobLock, rateLimiter: false },
      },
      module: {
        authenticateSocket: (socket) => {
          const token = socket.handshake.auth.token;
          return typeof token === 'string' && token.startsWith('socket-user') ? token : null;
        },
      },
    });
  }

  beforeAll(async () => {
    a = await instance();
    b = await instance(a.emulator);
  }, 180_000);
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await b?.close();
    await a?.close();
    for (const redis of adapters) await redis.close();
  });

  it('refuses a connection the authenticateSocket hook rejects', async () => {
    const socket = io(`${a.app.url}${SOCKET_NAMESPACE}`, {
      auth: { token: 'intruder' },
      transports: ['websocket'],
      reconnection: false,
    });
    sockets.push(socket);
    const refusal = new Promise((resolve) => socket.once(REPLAY_SOCKET_UNAUTHORIZED, resolve));
    await expect(refusal).resolves.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect.poll(() => socket.connected).toBe(false);
  });

  it('a buffer started on instance A is announced to the user’s sockets on A and on B; a save’s CLIP_READY too', async () => {
    const onA = await connect(a.app.url, user);
    const onB = await connect(b.app.url, user);
    const other = await connect(b.app.url, uniqueUser('socket-user-other'));
    sockets.push(onA.socket, onB.socket, other.socket);

    const res = await a.app.request(`${API}/start`, {
      method: 'POST',
      user,
      json: { roomName: 'room-sockets', videoTrackId: 'TR_s', channelId: 'chan-s' },
    });
    expect(res.status).toBe(200);
    const session = await res.json();
    for (const client of [onA, onB]) {
      await expect
        .poll(() => client.events.find((e) => e.type === 'REPLAY_BUFFER_STARTED'), { timeout: 20_000 })
        .toMatchObject({
          userId: user,
          sessionId: session.id,
          channelId: 'chan-s',
          session: { id: session.id },
        });
    }

    await a.emulator.waitForSegments(session.egressId, 4, { timeoutMs: 120_000 });
    const saved = await a.app.request(`${API}/capture`, {
      method: 'POST',
      user,
      json: { durationSeconds: 3, mode: 'fast' },
    });
    expect(saved.status).toBe(201);
    const clip = await saved.json();
    await expect
      .poll(() => onB.events.find((e) => e.type === 'CLIP_READY'), { timeout: 20_000 })
      .toMatchObject({ clipId: clip.id, userId: user });

    const stopped = await a.app.request(`${API}/stop`, { method: 'POST', user });
    expect(stopped.status).toBe(200);
    await expect
      .poll(() => onB.events.find((e) => e.type === 'REPLAY_BUFFER_STOPPED'), { timeout: 20_000 })
      .toMatchObject({ sessionId: session.id, egressId: session.egressId, channelId: 'chan-s' });
    // Every event reached its user only, once per socket (ids are unique).
    expect(other.events).toEqual([]);
    const ids = onB.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  }, 180_000);
});
