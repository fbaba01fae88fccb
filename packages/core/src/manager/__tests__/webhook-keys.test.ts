/**
 * Webhooks signed with a key pair other than the egress API pair (livekit.yaml
 * `webhook.api_key`), several pairs while rotating, and the seed's env names as aliases.
 */
import { EgressStatus } from '@livekit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayConfigFromEnv } from '../../config.js';
import { isReplayBufferError } from '../../errors.js';
import {
  API_KEY,
  API_SECRET,
  egressWebhookBody,
  memorySessions,
  recordingManager,
  seedSession,
  signWebhookBody,
  tempRoot,
} from './lifecycle-helpers.js';

const WEBHOOK_KEY = 'webhook-key';
const WEBHOOK_SECRET = 'webhook-secret-webhook-secret-0001';
const NEXT_KEY = 'webhook-key-next';
const NEXT_SECRET = 'webhook-secret-next-webhook-secret';

let root: { root: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  root = await tempRoot('lkr-webhook-keys-');
});
afterAll(async () => {
  await root.cleanup();
});

const BASE_ENV = {
  LIVEKIT_URL: 'http://127.0.0.1:9',
  LIVEKIT_API_KEY: API_KEY,
  LIVEKIT_API_SECRET: API_SECRET,
  REPLAY_SEGMENTS_DIR: '/tmp/segments',
  REPLAY_CLIPS_DIR: '/tmp/clips',
};

describe('webhook keys in the configuration', () => {
  it('reads a separate pair, the seed-style aliases and a rotation list from the environment', () => {
    expect(
      replayConfigFromEnv({
        ...BASE_ENV,
        LIVEKIT_WEBHOOK_API_KEY: WEBHOOK_KEY,
        LIVEKIT_WEBHOOK_API_SECRET: WEBHOOK_SECRET,
        LIVEKIT_WEBHOOK_KEYS: `${NEXT_KEY}:${NEXT_SECRET}, other: s2`,
      }).livekit.webhookKeys,
    ).toEqual([
      { apiKey: WEBHOOK_KEY, apiSecret: WEBHOOK_SECRET },
      { apiKey: NEXT_KEY, apiSecret: NEXT_SECRET },
      { apiKey: 'other', apiSecret: 's2' },
    ]);
    // The seed's names: LIVEKIT_WEBHOOK_KEY / LIVEKIT_WEBHOOK_SECRET; a lone secret pairs with the API key.
    expect(
      replayConfigFromEnv({ ...BASE_ENV, LIVEKIT_WEBHOOK_KEY: 'k', LIVEKIT_WEBHOOK_SECRET: 's' }).livekit
        .webhookKeys,
    ).toEqual([{ apiKey: 'k', apiSecret: 's' }]);
    expect(replayConfigFromEnv({ ...BASE_ENV, LIVEKIT_WEBHOOK_SECRET: 's' }).livekit.webhookKeys).toEqual([
      { apiKey: API_KEY, apiSecret: 's' },
    ]);
    expect(replayConfigFromEnv(BASE_ENV).livekit.webhookKeys).toBeUndefined();
    expect(() => replayConfigFromEnv({ ...BASE_ENV, LIVEKIT_WEBHOOK_KEYS: 'no-secret' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('LIVEKIT_WEBHOOK_KEYS'),
      }),
    );
  });
});

describe('webhook verification with several key pairs', () => {
  it('accepts the API pair and every configured webhook pair; refuses an unknown key and a wrong secret', async () => {
    const store = memorySessions();
    const { manager } = await recordingManager({
      config: {
        livekit: {
          url: 'http://127.0.0.1:9',
          apiKey: API_KEY,
          apiSecret: API_SECRET,
          webhookKeys: [
            { apiKey: WEBHOOK_KEY, apiSecret: WEBHOOK_SECRET },
            { apiKey: NEXT_KEY, apiSecret: NEXT_SECRET },
          ],
        },
        segmentsDir: `${root.root}/segments`,
        clipsDir: `${root.root}/clips`,
      },
      stores: { sessions: store },
      coordination: { rateLimiter: false },
    });
    await seedSession(store, { id: 'rs_keys', userId: 'u-keys', egressId: 'EG_keys' });
    const body = egressWebhookBody({
      event: 'egress_updated',
      egressId: 'EG_keys',
      status: EgressStatus.EGRESS_ACTIVE,
      startedAtMs: Date.now(),
    });

    const refused = async (header: string, message: RegExp) => {
      const error = await manager.handleWebhook({ body, authorization: header }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isReplayBufferError(error, 'WEBHOOK_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(message);
    };
    await refused(
      signWebhookBody(body, { key: 'stranger', secret: WEBHOOK_SECRET }),
      /"stranger".*not configured/,
    );
    // A configured key with another pair's secret is still refused.
    await refused(signWebhookBody(body, { key: WEBHOOK_KEY, secret: API_SECRET }), /did not verify/);
    expect((await store.get('rs_keys'))?.status).toBe('starting');

    // The second pair (webhook.api_key) is accepted and applied…
    const second = await manager.handleWebhook({
      body,
      authorization: signWebhookBody(body, { key: WEBHOOK_KEY, secret: WEBHOOK_SECRET }),
    });
    expect(second).toMatchObject({ sessionId: 'rs_keys', applied: true, status: 'active' });
    // …and so are the rotation pair and the API pair (duplicates change nothing more).
    const rotated = await manager.handleWebhook({
      body,
      authorization: signWebhookBody(body, { key: NEXT_KEY, secret: NEXT_SECRET }),
    });
    expect(rotated).toMatchObject({ sessionId: 'rs_keys', status: 'active', ignored: 'no_change' });
    expect(await manager.handleWebhook({ body, authorization: signWebhookBody(body) })).toMatchObject({
      status: 'active',
    });
  });
});
