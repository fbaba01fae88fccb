import type { PublicSessionDto } from '@livekit-replay/core/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayEnv, startReplayEnv, uniqueUser } from './support/replay-env.js';

const API = 'livekit/replay';

// LiveKit's webhooks reach the module's route exactly as the emulator sends them
// (`application/webhook+json`, raw JWT); a tampered body is refused and changes nothing.
describe('the LiveKit webhook route', () => {
  const user = uniqueUser('hooked');
  let env: ReplayEnv;
  let session: PublicSessionDto;

  beforeAll(async () => {
    env = await startReplayEnv({ historySeconds: 10 });
    const res = await env.app.request(`${API}/start`, {
      method: 'POST',
      user,
      json: { roomName: 'room-hook', videoTrackId: 'TR_h' },
    });
    session = await res.json();
    await env.emulator.waitForSegments(session.egressId!, 3, { timeoutMs: 120_000 });
  }, 180_000);
  afterAll(() => env?.close());

  const webhooks = () => env.emulator.webhookLog.filter((entry) => entry.egressId === session.egressId);

  it('accepts LiveKit’s application/webhook+json deliveries and applies them (the session becomes active)', async () => {
    await expect
      .poll(() => webhooks().some((w) => w.status === 'EGRESS_ACTIVE' && w.outcome === 'sent'))
      .toBe(true);
    const sent = webhooks().filter((w) => w.outcome === 'sent');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((w) => w.httpStatus === 200)).toBe(true);
    const status = await (await env.app.request(`${API}/session`, { user })).json();
    expect(status.status.session).toMatchObject({ id: session.id, status: 'active' });
  });

  it('a tampered body → 401 WEBHOOK_INVALID, and the session is unchanged', async () => {
    const active = webhooks().find((w) => w.status === 'EGRESS_ACTIVE')!;
    const forged = active.body.replace('EGRESS_ACTIVE', 'EGRESS_FAILED');
    expect(forged).not.toBe(active.body);
    const res = await env.app.request('livekit/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json', authorization: active.authorization },
      body: forged,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'WEBHOOK_INVALID', userMessage: expect.any(String) });
    const status = await (await env.app.request(`${API}/session`, { user })).json();
    expect(status.status.session.status).toBe('active');
  });

  it('no signature → 401; the same signed bytes as application/json or text/plain still verify', async () => {
    const active = webhooks().find((w) => w.status === 'EGRESS_ACTIVE')!;
    const unsigned = await env.app.request('livekit/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/webhook+json' },
      body: active.body,
    });
    expect(unsigned.status).toBe(401);
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await env.app.request('livekit/webhook', {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: active.authorization },
        body: active.body,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ event: 'egress_updated', sessionId: session.id });
    }
  });
});
