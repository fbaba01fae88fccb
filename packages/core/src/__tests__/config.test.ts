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

  it('reads booleans as true/false, 1/0 or yes/no and refuses anything else', () => {
    expect(replayConfigFromEnv({ ...env, REPLAY_FRAGMENT_CACHE: 'true' }).fragmentCache).toBe(true);
    expect(replayConfigFromEnv({ ...env, REPLAY_FRAGMENT_CACHE: '0' }).fragmentCache).toBe(false);
    expect(replayConfigFromEnv(env).fragmentCache).toBe(false);
    expect(() => replayConfigFromEnv({ ...env, REPLAY_FRAGMENT_CACHE: 'maybe' })).toThrow(
      /REPLAY_FRAGMENT_CACHE must be true or false/,
    );
  });

  it('reports missing LiveKit credentials', () => {
    expect(() => replayConfigFromEnv({ ...env, LIVEKIT_API_SECRET: undefined })).toThrow(
      /livekit\.apiSecret/,
    );
  });
});
