import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { replayErrorStatus } from '@livekit-replay/core/adapter';
import { errorResponseSchema } from '@livekit-replay/core/contract';
import { BadRequestException } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toErrorAnswer } from '../src/index.js';
import { type ReplayEnv, startReplayEnv, uniqueUser } from './support/replay-env.js';

const API = 'livekit/replay';
const ADMIN = uniqueUser('admin');

describe('error answers: every ReplayBufferError code → its status and the contract body', () => {
  it.each(Object.values(ReplayErrorCode))('%s', (code) => {
    const answer = toErrorAnswer(
      new ReplayBufferError(code, `developer text for ${code}`, { details: { a: 1 } }),
    );
    expect(answer.status).toBe(replayErrorStatus[code]);
    expect(errorResponseSchema.parse(answer.body)).toEqual(answer.body);
    expect(answer.body.code).toBe(code);
    expect(answer.body.userMessage.length).toBeGreaterThan(0);
    if (answer.status === 429) expect(Number(answer.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    if (code === 'INTERNAL') expect(JSON.stringify(answer.body)).not.toContain('developer text');
  });

  it('Retry-After is the wait in whole seconds, rounded up', () => {
    const error = new ReplayBufferError('RATE_LIMITED', 'slow down', { details: { retryAfterMs: 41_200 } });
    expect(toErrorAnswer(error).headers['Retry-After']).toBe('42');
  });

  it('unknown errors are a 500 that says nothing about internals; Nest exceptions keep their status', () => {
    const answer = toErrorAnswer(new Error('connect ECONNREFUSED postgres://admin:hunter2@db'));
    expect(answer).toMatchObject({ status: 500, body: { code: 'INTERNAL', message: 'Internal error' } });
    expect(JSON.stringify(answer.body)).not.toContain('hunter2');
    expect(toErrorAnswer(new BadRequestException('nope'))).toMatchObject({
      status: 400,
      body: { code: 'INVALID_INPUT' },
    });
  });
});

describe('error statuses over real HTTP', () => {
  const user = uniqueUser('user');
  let env: ReplayEnv;

  beforeAll(async () => {
    env = await startReplayEnv({
      historySeconds: 30,
      manager: {
        coordination: { rateLimiter: false },
        hooks: {
          authorize: ({ roomName }) => roomName !== 'forbidden-room',
          clipSharer: {
            share: async () => {
              throw new Error('chat database password=hunter2 unreachable');
            },
          },
        },
      },
      module: { isAdmin: (req) => (req.user as { id?: string } | undefined)?.id === ADMIN },
    });
  }, 180_000);
  afterAll(() => env?.close());

  async function call(route: string, init: Parameters<ReplayEnv['app']['request']>[1] = {}) {
    const res = await env.app.request(`${API}/${route}`, { user, ...init });
    const body = await res.json();
    expect(errorResponseSchema.safeParse(body).success).toBe(true);
    return { status: res.status, code: body.code as string, body, headers: res.headers };
  }

  it('401 without a signed-in user', async () => {
    expect(await call('quota', { user: '' })).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await call('start', { method: 'POST', user: '', json: {} })).toMatchObject({ status: 401 });
  });

  it('400 INVALID_INPUT for bodies, queries and ids the contract refuses', async () => {
    const bad = await call('start', { method: 'POST', json: { roomName: 'has space', videoTrackId: '' } });
    expect(bad).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(bad.body.details.fields).toEqual(expect.arrayContaining(['roomName', 'videoTrackId']));
    expect(
      await call('capture', {
        method: 'POST',
        json: { durationSeconds: 10, startAt: 1, endAt: 2 },
      }),
    ).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(await call('stream?durationSeconds=-5')).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(await call('clips?limit=1000')).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
    expect(await call('clips/..%2F..%2Fetc/file')).toMatchObject({ status: 400, code: 'INVALID_INPUT' });
  });

  it('404 SESSION_NOT_FOUND / CLIP_NOT_FOUND', async () => {
    expect(await call('stop', { method: 'POST' })).toMatchObject({ status: 404, code: 'SESSION_NOT_FOUND' });
    expect(await call('clips/cl_doesnotexist')).toMatchObject({ status: 404, code: 'CLIP_NOT_FOUND' });
    // Deleting is idempotent: a clip that is not there is reported, not an error.
    const gone = await env.app.request(`${API}/clips/cl_doesnotexist`, { method: 'DELETE', user });
    expect(gone.status).toBe(200);
    expect(await gone.json()).toEqual({ deleted: false, freedBytes: 0 });
  });

  it('403 FORBIDDEN from the authorize hook and for non-admins on admin routes; admins pass', async () => {
    expect(
      await call('start', { method: 'POST', json: { roomName: 'forbidden-room', videoTrackId: 'TR_x' } }),
    ).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(await call('communities/c1/replay-config')).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    const admin = await env.app.request(`${API}/communities/c1/replay-config`, { user: ADMIN });
    expect(admin.status).toBe(200);
  });

  it('403 DISABLED and 429 LIMIT_REACHED from the community settings an admin PUTs', async () => {
    const put = (communityId: string, json: unknown) =>
      env.app.request(`${API}/communities/${communityId}/replay-config`, {
        method: 'PUT',
        user: ADMIN,
        json,
      });
    expect((await put('c-off', { enabled: false, maxConcurrent: 5 })).status).toBe(200);
    expect((await put('c-full', { enabled: true, maxConcurrent: 1 })).status).toBe(200);
    const body = (communityId: string) => ({ roomName: 'room-c', videoTrackId: 'TR_c', communityId });
    const start = (communityId: string) => call('start', { method: 'POST', json: body(communityId) });
    expect(await start('c-off')).toMatchObject({ status: 403, code: 'DISABLED' });
    // Someone else holds the community's only slot.
    const holder = uniqueUser('holder');
    const held = await env.app.request(`${API}/start`, {
      method: 'POST',
      user: holder,
      json: body('c-full'),
    });
    expect(held.status).toBe(200);
    const full = await start('c-full');
    expect(full).toMatchObject({ status: 429, code: 'LIMIT_REACHED' });
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await env.app.request(`${API}/stop`, { method: 'POST', user: holder })).status).toBe(200);
  });

  it('503 EGRESS_UNAVAILABLE when LiveKit refuses the egress (nothing is left running)', async () => {
    env.emulator.faults.refuseStarts({ times: 1 });
    const refused = await call('start', {
      method: 'POST',
      json: { roomName: 'room-503', videoTrackId: 'TR_5' },
    });
    expect(refused).toMatchObject({ status: 503, code: 'EGRESS_UNAVAILABLE' });
    const session = await env.app.request(`${API}/session`, { user });
    expect((await session.json()).status?.session.status ?? null).not.toBe('active');
  });

  it('413 QUOTA_EXCEEDED, 410 RANGE_UNAVAILABLE, 500 without internals (a failing sharer)', async () => {
    const quota = await env.app.request(`${API}/users/${user}/quota`, {
      method: 'PUT',
      user: ADMIN,
      json: { limitBytes: 1000 },
    });
    expect(quota.status).toBe(200);
    const started = await env.app.request(`${API}/start`, {
      method: 'POST',
      user,
      json: { roomName: 'room-errors', videoTrackId: 'TR_e' },
    });
    expect(started.status).toBe(200);
    const { egressId } = await started.json();
    await env.emulator.waitForSegments(egressId, 8, { timeoutMs: 120_000 });
    expect(await call('capture', { method: 'POST', json: { durationSeconds: 5 } })).toMatchObject({
      status: 413,
      code: 'QUOTA_EXCEEDED',
    });
    const hourAgo = Date.now() - 3_600_000;
    expect(
      await call('capture', { method: 'POST', json: { startAt: hourAgo, endAt: hourAgo + 10_000 } }),
    ).toMatchObject({ status: 410, code: 'RANGE_UNAVAILABLE' });

    await env.app.request(`${API}/users/${user}/quota`, {
      method: 'PUT',
      user: ADMIN,
      json: { limitBytes: 1_000_000_000 },
    });
    const saved = await env.app.request(`${API}/capture`, {
      method: 'POST',
      user,
      json: { durationSeconds: 2, mode: 'fast' },
    });
    expect(saved.status).toBe(201);
    const clip = await saved.json();
    const failed = await call(`clips/${clip.id}/share`, {
      method: 'POST',
      json: { target: 'channel', channelId: 'chan-e' },
    });
    expect(failed.status).toBe(500);
    expect(JSON.stringify(failed.body)).not.toContain('hunter2');
  }, 180_000);
});
