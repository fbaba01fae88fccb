/**
 * Webhooks through livekit-server-sdk's WebhookReceiver: signatures (every way a header can be
 * wrong), the status mapping, and the property that any order of (duplicated) deliveries ends
 * where the in-order sequence ends.
 */
import { EgressStatus, WebhookEvent } from '@livekit/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReplayBufferError } from '../../errors.js';
import type { ReplayNotification } from '../../events.js';
import type { MemorySessionStore } from '../../memory/memory-session-store.js';
import type { ReplaySession } from '../../types.js';
import type { ReplayBufferManager } from '../replay-buffer-manager.js';
import {
  API_KEY,
  API_SECRET,
  bodyHash,
  egressWebhookBody,
  memorySessions,
  recordingManager,
  seedSession,
  signJwt,
  signWebhookBody,
  tempRoot,
} from './lifecycle-helpers.js';

let root: { root: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  root = await tempRoot('lkr-webhooks-');
});
afterAll(async () => {
  await root.cleanup();
});

async function setup(): Promise<{
  manager: ReplayBufferManager;
  store: MemorySessionStore;
  notifications: ReplayNotification[];
}> {
  const store = memorySessions();
  const { manager, notifications } = await recordingManager({
    config: {
      // Never contacted: webhooks are handled without calling LiveKit.
      livekit: { url: 'http://127.0.0.1:9', apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir: `${root.root}/segments`,
      clipsDir: `${root.root}/clips`,
    },
    stores: { sessions: store },
    coordination: { rateLimiter: false },
  });
  return { manager, store, notifications };
}

async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isReplayBufferError(error, 'WEBHOOK_INVALID')).toBe(true);
  expect((error as { status: number }).status).toBe(401);
}

describe('webhook signatures', () => {
  const ended = () =>
    egressWebhookBody({
      event: 'egress_ended',
      egressId: 'EG_sig',
      status: EgressStatus.EGRESS_FAILED,
      error: 'boom',
      endedAtMs: Date.now(),
    });

  it('refuses tampered, unsigned, expired, wrong-key, wrong-secret and Bearer-prefixed deliveries; nothing changes', async () => {
    const { manager, store, notifications } = await setup();
    const before = await seedSession(store, {
      id: 'rs_sig',
      userId: 'u-sig',
      egressId: 'EG_sig',
      active: true,
    });
    const body = ended();
    const now = Math.floor(Date.now() / 1000);
    const tampered = body.replace('boom', 'bang');
    const attempts: Array<[string, string, string | undefined]> = [
      ['tampered body', tampered, signWebhookBody(body)],
      ['no header', body, undefined],
      ['empty header', body, ''],
      [
        'unsigned token (alg none)',
        body,
        signJwt({ iss: API_KEY, exp: now + 300, sha256: bodyHash(body) }, '', 'none'),
      ],
      ['token without a body hash', body, signWebhookBody(body, { sha256: null })],
      ['expired token', body, signJwt({ iss: API_KEY, exp: now - 60, sha256: bodyHash(body) }, API_SECRET)],
      ['token without exp', body, signJwt({ iss: API_KEY, sha256: bodyHash(body) }, API_SECRET)],
      ['wrong API key', body, signWebhookBody(body, { key: 'someone-else' })],
      ['wrong API secret', body, signWebhookBody(body, { secret: 'not-the-secret-not-the-secret-00' })],
      ['Bearer-prefixed valid token', body, `Bearer ${signWebhookBody(body)}`],
      ['garbage', body, 'not a jwt'],
    ];
    for (const [what, payload, header] of attempts) {
      await expectInvalid(manager.handleWebhook({ body: payload, authorization: header })).catch(
        (error: unknown) => {
          throw new Error(`${what}: ${String(error)}`);
        },
      );
    }
    expect(await store.get('rs_sig')).toEqual(before);
    expect(notifications).toEqual([]);

    // The same body, correctly signed, is applied (so the refusals above were about the signature).
    const result = await manager.handleWebhook({ body: body, authorization: signWebhookBody(body) });
    expect(result).toMatchObject({
      event: 'egress_ended',
      egressId: 'EG_sig',
      sessionId: 'rs_sig',
      applied: true,
    });
    expect((await store.get('rs_sig'))?.status).toBe('failed');
  });

  it('accepts a body given as bytes', async () => {
    const { manager, store } = await setup();
    await seedSession(store, { id: 'rs_bytes', userId: 'u-bytes', egressId: 'EG_bytes' });
    const body = egressWebhookBody({
      event: 'egress_updated',
      egressId: 'EG_bytes',
      status: EgressStatus.EGRESS_ACTIVE,
      startedAtMs: Date.now(),
    });
    const result = await manager.handleWebhook({
      body: new TextEncoder().encode(body),
      authorization: signWebhookBody(body),
    });
    expect(result.status).toBe('active');
  });
});

describe('webhook events', () => {
  it('ignores other events and unknown egresses, and says so', async () => {
    const { manager, notifications } = await setup();
    const participant = new WebhookEvent({ event: 'participant_left', id: 'EV_p' }).toJsonString();
    expect(
      await manager.handleWebhook({ body: participant, authorization: signWebhookBody(participant) }),
    ).toEqual({
      event: 'participant_left',
      egressId: null,
      sessionId: null,
      applied: false,
      status: null,
      ignored: 'not_egress_event',
    });
    const unknown = egressWebhookBody({
      event: 'egress_ended',
      egressId: 'EG_nobody',
      status: EgressStatus.EGRESS_COMPLETE,
    });
    expect(
      await manager.handleWebhook({ body: unknown, authorization: signWebhookBody(unknown) }),
    ).toMatchObject({
      egressId: 'EG_nobody',
      applied: false,
      ignored: 'unknown_egress',
    });
    expect(notifications).toEqual([]);
  });

  it.each([
    [EgressStatus.EGRESS_COMPLETE, 'stopped', 'egress_complete', null, 'REPLAY_BUFFER_STOPPED'],
    [EgressStatus.EGRESS_FAILED, 'failed', 'egress_failed', 'encoder crashed', 'REPLAY_BUFFER_FAILED'],
    [
      EgressStatus.EGRESS_ABORTED,
      'failed',
      'egress_aborted',
      'Start signal not received',
      'REPLAY_BUFFER_FAILED',
    ],
    [
      EgressStatus.EGRESS_LIMIT_REACHED,
      'stopped',
      'limit_reached',
      'max duration reached',
      'REPLAY_BUFFER_STOPPED',
    ],
  ] as const)('egress_ended %s → %s (%s), user notified once', async (status, to, reason, error, type) => {
    const { manager, store, notifications } = await setup();
    await seedSession(store, { id: 'rs_end', userId: 'u-end', egressId: 'EG_end', active: true });
    const endedAtMs = Date.now() - 1000;
    const body = egressWebhookBody({
      event: 'egress_ended',
      egressId: 'EG_end',
      status,
      endedAtMs,
      ...(error ? { error } : {}),
    });
    const first = await manager.handleWebhook({ body: body, authorization: signWebhookBody(body) });
    const duplicate = await manager.handleWebhook({ body: body, authorization: signWebhookBody(body) });
    expect(first).toMatchObject({ applied: true, status: to });
    expect(duplicate).toMatchObject({ applied: false, status: to, ignored: 'no_change' });
    const session = await store.get('rs_end');
    expect(session).toMatchObject({ status: to, endReason: reason, error });
    expect(session?.endedAt?.getTime()).toBe(endedAtMs);
    expect(notifications.map((n) => n.type)).toEqual([type]);
    if (type === 'REPLAY_BUFFER_FAILED') {
      expect(notifications[0]).toMatchObject({ userId: 'u-end', sessionId: 'rs_end', error });
    }
  });

  it('ENDING keeps the session live; a late egress_started never revives an ended session', async () => {
    const { manager, store, notifications } = await setup();
    await seedSession(store, { id: 'rs_late', userId: 'u-late', egressId: 'EG_late', active: true });
    const ending = egressWebhookBody({
      event: 'egress_updated',
      egressId: 'EG_late',
      status: EgressStatus.EGRESS_ENDING,
    });
    expect(
      await manager.handleWebhook({ body: ending, authorization: signWebhookBody(ending) }),
    ).toMatchObject({
      applied: false,
      status: 'active',
    });
    const complete = egressWebhookBody({
      event: 'egress_ended',
      egressId: 'EG_late',
      status: EgressStatus.EGRESS_COMPLETE,
    });
    await manager.handleWebhook({ body: complete, authorization: signWebhookBody(complete) });
    for (const status of [EgressStatus.EGRESS_STARTING, EgressStatus.EGRESS_ACTIVE]) {
      const late = egressWebhookBody({
        event: 'egress_started',
        egressId: 'EG_late',
        status,
        startedAtMs: Date.now(),
      });
      expect(await manager.handleWebhook({ body: late, authorization: signWebhookBody(late) })).toMatchObject(
        {
          applied: false,
          status: 'stopped',
        },
      );
    }
    expect((await store.get('rs_late'))?.status).toBe('stopped');
    expect(notifications.map((n) => n.type)).toEqual(['REPLAY_BUFFER_STOPPED']);
  });
});

// ── Property: any order, any duplicates → the in-order result ─────────────────────────────

type Outcome = 'complete' | 'failed' | 'aborted' | 'limit';

interface Delivery {
  session: number;
  body: string;
}

const ENDED_STATUS: Record<Outcome, EgressStatus> = {
  complete: EgressStatus.EGRESS_COMPLETE,
  failed: EgressStatus.EGRESS_FAILED,
  aborted: EgressStatus.EGRESS_ABORTED,
  limit: EgressStatus.EGRESS_LIMIT_REACHED,
};

/** The events LiveKit sends for one egress, in order. */
function sequenceFor(index: number, outcome: Outcome, base: number): Delivery[] {
  const egressId = `EG_prop${index}`;
  const startedAtMs = base + index * 10;
  const endedAtMs = startedAtMs + 5000;
  const started = outcome !== 'aborted';
  const events = [
    egressWebhookBody({ event: 'egress_started', egressId, status: EgressStatus.EGRESS_STARTING }),
    ...(started
      ? [
          egressWebhookBody({
            event: 'egress_updated',
            egressId,
            status: EgressStatus.EGRESS_ACTIVE,
            startedAtMs,
          }),
          egressWebhookBody({
            event: 'egress_updated',
            egressId,
            status: EgressStatus.EGRESS_ENDING,
            startedAtMs,
          }),
        ]
      : []),
    egressWebhookBody({
      event: 'egress_ended',
      egressId,
      status: ENDED_STATUS[outcome],
      ...(started ? { startedAtMs } : {}),
      endedAtMs,
      ...(outcome === 'failed' ? { error: `disk ${index} full` } : {}),
      ...(outcome === 'aborted' ? { error: 'track never published' } : {}),
    }),
  ];
  return events.map((body) => ({ session: index, body }));
}

function finalState(session: ReplaySession | null) {
  return (
    session && {
      status: session.status,
      endReason: session.endReason,
      error: session.error,
      startedAt: session.startedAt?.getTime() ?? null,
      endedAt: session.endedAt?.getTime() ?? null,
    }
  );
}

describe('webhook ordering (property)', () => {
  it('random orders and duplicates of several sessions’ webhooks converge to the in-order final states, with one end notification each', async () => {
    const base = Date.now() - 60_000;
    const outcomes: Outcome[] = ['complete', 'failed', 'aborted', 'limit'];
    const sequences = outcomes.map((outcome, i) => sequenceFor(i, outcome, base));
    const all = sequences.flat();
    // Sign once: the bodies never change.
    const signatures = new Map(all.map((d) => [d.body, signWebhookBody(d.body)]));

    async function run(deliveries: Delivery[]) {
      const { manager, store, notifications } = await setup();
      for (let i = 0; i < outcomes.length; i++) {
        await seedSession(store, { id: `rs_prop${i}`, userId: `u-prop${i}`, egressId: `EG_prop${i}` });
      }
      for (const d of deliveries)
        await manager.handleWebhook({ body: d.body, authorization: signatures.get(d.body) });
      const states = await Promise.all(outcomes.map((_, i) => store.get(`rs_prop${i}`).then(finalState)));
      const ends = notifications.filter(
        (n) => n.type === 'REPLAY_BUFFER_STOPPED' || n.type === 'REPLAY_BUFFER_FAILED',
      );
      return {
        states,
        endsPerSession: outcomes.map((_, i) => ends.filter((n) => n.sessionId === `rs_prop${i}`).length),
      };
    }

    const expected = await run(all);
    expect(expected.states.map((s) => s?.status)).toEqual(['stopped', 'failed', 'failed', 'stopped']);
    expect(expected.states[1]?.error).toBe('disk 1 full');
    expect(expected.endsPerSession).toEqual([1, 1, 1, 1]);

    await fc.assert(
      fc.asyncProperty(
        // Each delivery 1–3 times, then shuffled.
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: all.length, maxLength: all.length }),
        // A sort key per delivery: the shuffle.
        fc.array(fc.nat(), { minLength: all.length * 3, maxLength: all.length * 3 }),
        async (copies, keys) => {
          const deliveries = all.flatMap((d, i) => Array.from({ length: copies[i] ?? 1 }, () => d));
          const keyed = deliveries.map((d, i) => ({ d, k: keys[i] ?? 0, i }));
          keyed.sort((a, b) => a.k - b.k || a.i - b.i);
          const actual = await run(keyed.map((x) => x.d));
          expect(actual.states).toEqual(expected.states);
          expect(actual.endsPerSession).toEqual([1, 1, 1, 1]);
        },
      ),
      { numRuns: 60 },
    );
  });
});
