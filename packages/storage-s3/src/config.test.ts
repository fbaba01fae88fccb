import { ReplayErrorCode } from '@livekit-replay/core';
import { describe, expect, it } from 'vitest';
import { egressS3Upload, egressWebhooks, s3ConfigFromEnv, s3ReplaySetupFromEnv } from './index.js';

const env = {
  REPLAY_S3_BUCKET: 'replay-segments',
  REPLAY_S3_ENDPOINT: 'http://127.0.0.1:9000',
  REPLAY_S3_ACCESS_KEY_ID: 'AKIA',
  REPLAY_S3_SECRET_ACCESS_KEY: 'secret',
  REPLAY_S3_FORCE_PATH_STYLE: 'true',
  REPLAY_S3_CHECKSUMS: 'when_required',
};

describe('S3 configuration', () => {
  it('reads REPLAY_S3_* and builds the egress S3Upload from it', () => {
    const config = s3ConfigFromEnv(env);
    expect(config).toMatchObject({
      bucket: 'replay-segments',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      checksums: 'WHEN_REQUIRED',
    });
    expect(egressS3Upload(config)).toMatchObject({
      accessKey: 'AKIA',
      secret: 'secret',
      sessionToken: '',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'replay-segments',
      forcePathStyle: true,
    });
  });

  it('refuses missing or malformed settings with CONFIG_INVALID', () => {
    for (const bad of [
      { ...env, REPLAY_S3_BUCKET: '' },
      { ...env, REPLAY_S3_BUCKET: 'No_Such' },
      { ...env, REPLAY_S3_ACCESS_KEY_ID: ' ' },
      { ...env, REPLAY_S3_ENDPOINT: 'ftp://x' },
      { ...env, REPLAY_S3_CHECKSUMS: 'ALWAYS' },
    ]) {
      expect(() => s3ConfigFromEnv(bad)).toThrow(
        expect.objectContaining({ code: ReplayErrorCode.CONFIG_INVALID }),
      );
    }
  });

  it('builds per-egress webhooks and refuses a bad url or a missing signing key', () => {
    expect(
      egressWebhooks([{ url: 'https://app.example/livekit/webhook', signingKey: 'APIkey' }]),
    ).toMatchObject([{ url: 'https://app.example/livekit/webhook', signingKey: 'APIkey' }]);
    expect(() => egressWebhooks([{ url: 'not a url', signingKey: 'k' }])).toThrow(
      expect.objectContaining({ code: ReplayErrorCode.CONFIG_INVALID }),
    );
    expect(() => egressWebhooks([{ url: 'https://a.example', signingKey: '' }])).toThrow(
      expect.objectContaining({ code: ReplayErrorCode.CONFIG_INVALID }),
    );
  });
});

describe('s3ReplaySetupFromEnv', () => {
  it('turns REPLAY_S3_* into the clip storage and the config that sends egress to the bucket', () => {
    const setup = s3ReplaySetupFromEnv({ ...env, REPLAY_S3_CLIPS_PREFIX: 'app/' });
    try {
      expect(setup.config.egressSegmentsDir).toBe('segments');
      expect(setup.segmentsKeyPrefix).toBe('segments/');
      expect(setup.config.livekit.egressUpload.s3).toMatchObject({
        bucket: 'replay-segments',
        endpoint: 'http://127.0.0.1:9000',
        forcePathStyle: true,
      });
      expect(setup.storage.objectKey('clips/clip_a.mp4')).toBe('app/clips/clip_a.mp4');
    } finally {
      setup.close();
    }
    const nested = s3ReplaySetupFromEnv({ ...env, REPLAY_S3_SEGMENTS_PREFIX: '/replay/segments/' });
    nested.close();
    expect(nested.config.egressSegmentsDir).toBe('replay/segments');
  });

  it('refuses an unsafe or empty segment prefix with CONFIG_INVALID', () => {
    for (const prefix of ['../up', 'a b', '/']) {
      expect(() => s3ReplaySetupFromEnv({ ...env, REPLAY_S3_SEGMENTS_PREFIX: prefix })).toThrow(
        expect.objectContaining({ code: ReplayErrorCode.CONFIG_INVALID }),
      );
    }
  });
});
