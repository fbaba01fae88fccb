import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Upload } from '@livekit/protocol';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { EgressWebhook } from '@livekit-replay/core/adapter';
import { createS3Client, S3_ENV, type S3Config, s3ConfigFromEnv } from './config.js';
import { egressS3Upload } from './egress.js';
import { normalizeKeyPrefix } from './keys.js';
import { S3ClipStorage, type S3ClipStorageOptions } from './s3-clip-storage.js';
import { S3SegmentSourceFactory, type S3SegmentSourceFactoryOptions } from './s3-segment-source-factory.js';

export interface S3ReplaySetupOptions {
  /**
   * Key prefix egress uploads segments under: `<prefix>/<session dir>/replay_*.ts` (default
   * `segments`). Give it a lifecycle rule (see the README) as a backstop for retention.
   */
  segmentsKeyPrefix?: string;
  /** Prepended to clip and poster keys (`<prefix>/clips/clip_x.mp4`; default none). */
  clipsKeyPrefix?: string;
  /** LiveKit also sends each buffer egress's events here (no project-wide webhook needed). */
  egressWebhooks?: EgressWebhook[];
  /** Tuning of the clip storage (temp dir, multipart part size, parallel parts). */
  clipStorage?: Omit<S3ClipStorageOptions, 'client' | 'bucket' | 'keyPrefix'>;
  /** Tuning of the segment sources (ranged GET size and concurrency, relisting). */
  segmentSources?: Omit<S3SegmentSourceFactoryOptions, 'client' | 'bucket' | 'keyPrefix'>;
}

/** The replay config fields an S3 deployment sets (merge with `replayConfigFromEnv(env, setup.config)`). */
export interface S3ReplayConfig {
  /** The segment key prefix: core builds the egress `filenamePrefix` under it. */
  egressSegmentsDir: string;
  livekit: { egressUpload: { s3: S3Upload }; egressWebhooks?: EgressWebhook[] };
}

/** Everything a deployment with clips and segments in one bucket needs, from one S3 config. */
export interface S3ReplaySetup {
  /** The client every part shares (`close()` releases it). */
  client: S3Client;
  bucket: string;
  /** `segments/` style, with the trailing slash. */
  segmentsKeyPrefix: string;
  /** Replay config overrides: egress uploads to the bucket, under the segment prefix. */
  config: S3ReplayConfig;
  /** The manager's `storage`. */
  storage: S3ClipStorage;
  /** The manager's `segments`: each session's segments under `<segment prefix>/<session dir>/`. */
  segments: S3SegmentSourceFactory;
  /** Releases the client's sockets (after the manager closed). */
  close(): void;
}

function configError(message: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, message);
}

function configPrefix(prefix: string | undefined, name: string): string {
  try {
    return normalizeKeyPrefix(prefix);
  } catch {
    throw configError(`S3 ${name} must be key components of letters, digits, "_" or "-" joined by "/"`);
  }
}

/**
 * One S3 configuration turned into the manager's storage and segment sources, and the config
 * that makes LiveKit egress upload segments to the same bucket:
 *
 * ```ts
 * const s3 = s3ReplaySetup(s3ConfigFromEnv());
 * new ReplayBufferManager({
 *   config: replayConfigFromEnv(process.env, s3.config),
 *   storage: s3.storage,
 *   segments: s3.segments,
 * });
 * ```
 */
export function s3ReplaySetup(config: S3Config, options: S3ReplaySetupOptions = {}): S3ReplaySetup {
  // Checks the config (CONFIG_INVALID) before any client exists.
  const upload = egressS3Upload(config);
  // Core joins this prefix and the session directory into the egress filenamePrefix: never empty.
  const segmentsKeyPrefix = configPrefix(options.segmentsKeyPrefix ?? 'segments', 'segmentsKeyPrefix');
  if (segmentsKeyPrefix === '') throw configError('S3 segmentsKeyPrefix must not be empty');
  const clipsKeyPrefix = configPrefix(options.clipsKeyPrefix, 'clipsKeyPrefix');
  const client = createS3Client(config);
  const storage = new S3ClipStorage({
    ...options.clipStorage,
    client,
    bucket: config.bucket,
    keyPrefix: clipsKeyPrefix,
  });
  return {
    client,
    bucket: config.bucket,
    segmentsKeyPrefix,
    config: {
      egressSegmentsDir: segmentsKeyPrefix.slice(0, -1),
      livekit: {
        egressUpload: { s3: upload },
        ...(options.egressWebhooks ? { egressWebhooks: options.egressWebhooks } : {}),
      },
    },
    storage,
    segments: new S3SegmentSourceFactory({
      ...options.segmentSources,
      client,
      bucket: config.bucket,
      keyPrefix: segmentsKeyPrefix,
    }),
    close: () => client.destroy(),
  };
}

/**
 * `s3ReplaySetup` from `REPLAY_S3_*` (see `S3_ENV`; prefixes from `REPLAY_S3_SEGMENTS_PREFIX`
 * and `REPLAY_S3_CLIPS_PREFIX`). Egress webhooks come from core's `LIVEKIT_EGRESS_WEBHOOK_URL`.
 */
export function s3ReplaySetupFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: Omit<S3ReplaySetupOptions, 'segmentsKeyPrefix' | 'clipsKeyPrefix'> = {},
): S3ReplaySetup {
  return s3ReplaySetup(s3ConfigFromEnv(env), {
    ...options,
    segmentsKeyPrefix: env[S3_ENV.segmentsKeyPrefix]?.trim() || undefined,
    clipsKeyPrefix: env[S3_ENV.clipsKeyPrefix]?.trim() || undefined,
  });
}
