import { describe, expect, it } from 'vitest';
import { parseReplayConfig, replayConfigFromEnv } from '../config.js';
import { ReplayBufferError } from '../errors.js';

const base = {
  livekit: { url: 'http://127.0.0.1:7880', apiKey: 'key', apiSecret: 'secret' },
  segmentsDir: '/tmp/lkr/segments',
  clipsDir: '/tmp/lkr/clips',
};

describe('parseReplayConfig', () => {
  it('fills defensible defaults', () => {
    const config = parseReplayConfig(base);
    expect(config.bufferDurationSeconds).toBe(600);
    expect(config.liveEdgeWaitSeconds).toBe(15);
    expect(config.orphanAfterSeconds).toBe(3 * 3600);
    expect(config.segmentDurationSeconds).toBe(2);
    expect(config.defaultQuotaBytes).toBe(5 * 1024 ** 3);
    expect(config.defaultCommunityMaxConcurrent).toBe(5);
    expect(config.segmentNaming).toBe('INDEX');
  });

  it('names every bad field in one CONFIG_INVALID error', () => {
    let caught: unknown;
    try {
      parseReplayConfig({
        ...base,
        livekit: { url: 'not a url', apiKey: '', apiSecret: 's' },
        segmentDurationSeconds: 0,
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ReplayBufferError);
    const error = caught as ReplayBufferError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('livekit.url');
    expect(error.message).toContain('livekit.apiKey');
    expect(error.message).toContain('segmentDurationSeconds');
    expect(error.details?.fields).toEqual(
      expect.arrayContaining(['livekit.url', 'livekit.apiKey', 'segmentDurationSeconds']),
    );
  });
});

describe('replayConfigFromEnv', () => {
  const env = {
    LIVEKIT_URL: 'http://127.0.0.1:7880',
    LIVEKIT_API_KEY: 'key',
    LIVEKIT_API_SECRET: 'secret',
    REPLAY_SEGMENTS_DIR: '/tmp/lkr/segments',
    REPLAY_CLIPS_DIR: '/tmp/lkr/clips',
    REPLAY_BUFFER_DURATION_MINUTES: '5',
    REPLAY_SEGMENT_DURATION_SECONDS: '4',
  };

  it('reads earlier names in other units as seconds (REPLAY_BUFFER_DURATION_MINUTES, REPLAY_ORPHAN_AFTER_HOURS)', () => {
    const config = replayConfigFromEnv({ ...env, REPLAY_ORPHAN_AFTER_HOURS: '2' });
    expect(config.livekit.apiKey).toBe('key');
    expect(config.bufferDurationSeconds).toBe(300);
    expect(config.orphanAfterSeconds).toBe(7200);
    expect(config.segmentDurationSeconds).toBe(4);
  });

  it("accepts the seed's names as aliases; the canonical name wins when both are set", () => {
    const seed = {
      LIVEKIT_URL: env.LIVEKIT_URL,
      LIVEKIT_API_KEY: 'key',
      LIVEKIT_API_SECRET: 'secret',
      REPLAY_SEGMENTS_PATH: '/tmp/seed/segments',
      REPLAY_EGRESS_OUTPUT_PATH: '/out',
      REPLAY_CLIPS_PATH: '/tmp/seed/clips',
    };
    expect(replayConfigFromEnv(seed)).toMatchObject({
      segmentsDir: '/tmp/seed/segments',
      egressSegmentsDir: '/out',
      clipsDir: '/tmp/seed/clips',
    });
    const both = {
      ...seed,
      REPLAY_SEGMENTS_DIR: '/tmp/ours',
      REPLAY_BUFFER_DURATION_MINUTES: '5',
      REPLAY_BUFFER_DURATION_SECONDS: '90',
    };
    expect(replayConfigFromEnv(both)).toMatchObject({ segmentsDir: '/tmp/ours', bufferDurationSeconds: 90 });
  });

  it('lets explicit overrides win', () => {
    expect(replayConfigFromEnv(env, { bufferDurationSeconds: 120 }).bufferDurationSeconds).toBe(120);
  });

  it('names the environment variable of a non-numeric value', () => {
    expect(() => replayConfigFromEnv({ ...env, REPLAY_BUFFER_DURATION_MINUTES: 'ten' })).toThrow(
      /REPLAY_BUFFER_DURATION_MINUTES must be a number/,
    );
  });

  it('reports missing LiveKit credentials', () => {
    expect(() => replayConfigFromEnv({ ...env, LIVEKIT_API_SECRET: undefined })).toThrow(
      /livekit\.apiSecret/,
    );
  });
});

describe('egress upload and per-egress webhooks', () => {
  const env = {
    LIVEKIT_URL: 'https://project.livekit.cloud',
    LIVEKIT_API_KEY: 'APIkey',
    LIVEKIT_API_SECRET: 'secret',
    REPLAY_SEGMENTS_DIR: '/tmp/lkr/segments',
    REPLAY_CLIPS_DIR: '/tmp/lkr/clips',
  };
  const upload = { bucket: 'replay-bucket', region: 'auto', accessKey: 'AKIA', secret: 'top-secret-value' };

  it('reads LIVEKIT_EGRESS_WEBHOOK_URL (several, comma-separated), signed with the API key by default', () => {
    const config = replayConfigFromEnv({
      ...env,
      LIVEKIT_EGRESS_WEBHOOK_URL: 'https://a.example/livekit/webhook, https://b.example/hook',
    });
    expect(config.livekit.egressWebhooks).toEqual([
      { url: 'https://a.example/livekit/webhook', signingKey: 'APIkey' },
      { url: 'https://b.example/hook', signingKey: 'APIkey' },
    ]);
    const signed = replayConfigFromEnv({
      ...env,
      LIVEKIT_EGRESS_WEBHOOK_URL: 'https://a.example/hook',
      LIVEKIT_EGRESS_WEBHOOK_SIGNING_KEY: 'APIother',
    });
    expect(signed.livekit.egressWebhooks).toEqual([
      { url: 'https://a.example/hook', signingKey: 'APIother' },
    ]);
    expect(replayConfigFromEnv(env).livekit.egressWebhooks).toBeUndefined();
  });

  it('names LIVEKIT_EGRESS_WEBHOOK_URL when a URL is not http(s)', () => {
    expect(() => replayConfigFromEnv({ ...env, LIVEKIT_EGRESS_WEBHOOK_URL: 'ftp://a.example' })).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('LIVEKIT_EGRESS_WEBHOOK_URL'),
      }),
    );
  });

  it('takes the upload as an override beside the environment and fills LiveKit defaults', () => {
    const config = replayConfigFromEnv(env, {
      egressSegmentsDir: 'segments',
      livekit: { egressUpload: { s3: upload } },
    });
    expect(config.livekit.url).toBe(env.LIVEKIT_URL);
    expect(config.egressSegmentsDir).toBe('segments');
    expect(config.livekit.egressUpload?.s3).toEqual({
      ...upload,
      endpoint: '',
      sessionToken: '',
      forcePathStyle: false,
    });
  });

  it('refuses a bad upload naming the field, never its value', () => {
    for (const [s3, field] of [
      [{ ...upload, bucket: '' }, 'bucket'],
      [{ ...upload, endpoint: 'ftp://s3.example' }, 'endpoint'],
      [{ ...upload, accessKey: '' }, 'secret'],
    ] as const) {
      let caught: ReplayBufferError | undefined;
      try {
        parseReplayConfig({ ...base, livekit: { ...base.livekit, egressUpload: { s3 } } });
      } catch (error) {
        caught = error as ReplayBufferError;
      }
      expect(caught?.code).toBe('CONFIG_INVALID');
      expect(caught?.message).toContain(`livekit.egressUpload.s3.${field}`);
      expect(JSON.stringify([caught?.message, caught?.details])).not.toContain(upload.secret);
    }
  });
});
