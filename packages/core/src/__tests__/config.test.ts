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
    expect(config.bufferDurationMinutes).toBe(10);
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

  it("reads the seed's variable names", () => {
    const config = replayConfigFromEnv(env);
    expect(config.livekit.apiKey).toBe('key');
    expect(config.bufferDurationMinutes).toBe(5);
    expect(config.segmentDurationSeconds).toBe(4);
  });

  it('lets explicit overrides win', () => {
    expect(replayConfigFromEnv(env, { bufferDurationMinutes: 2 }).bufferDurationMinutes).toBe(2);
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
