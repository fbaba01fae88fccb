import { S3Client } from '@aws-sdk/client-s3';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';

/**
 * How to reach a bucket. Comes from the deployment's configuration (`s3ConfigFromEnv`), never
 * from a caller: the same credentials are handed to LiveKit egress for its uploads.
 */
export interface S3Config {
  bucket: string;
  region: string;
  /** Custom endpoint for S3-compatible services (MinIO, R2, s3rver); empty for AWS. */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`. */
  forcePathStyle?: boolean;
  /**
   * Checksums the SDK adds to requests and validates on responses. Some S3-compatible services
   * reject the SDK's default CRC32 trailers: `'WHEN_REQUIRED'` then. Default `'WHEN_SUPPORTED'`.
   */
  checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

/** Environment variables read by `s3ConfigFromEnv`. */
export const S3_ENV = {
  bucket: 'REPLAY_S3_BUCKET',
  region: 'REPLAY_S3_REGION',
  endpoint: 'REPLAY_S3_ENDPOINT',
  accessKeyId: 'REPLAY_S3_ACCESS_KEY_ID',
  secretAccessKey: 'REPLAY_S3_SECRET_ACCESS_KEY',
  sessionToken: 'REPLAY_S3_SESSION_TOKEN',
  forcePathStyle: 'REPLAY_S3_FORCE_PATH_STYLE',
  checksums: 'REPLAY_S3_CHECKSUMS',
  /** Read by `s3ReplaySetupFromEnv` (default `segments`). */
  segmentsKeyPrefix: 'REPLAY_S3_SEGMENTS_PREFIX',
  /** Read by `s3ReplaySetupFromEnv` (default none). */
  clipsKeyPrefix: 'REPLAY_S3_CLIPS_PREFIX',
} as const;

function configError(message: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, message);
}

/** Checks a config object; throws `CONFIG_INVALID` naming the bad field. */
export function parseS3Config(input: S3Config): S3Config {
  const required = ['bucket', 'region', 'accessKeyId', 'secretAccessKey'] as const;
  for (const field of required) {
    if (typeof input[field] !== 'string' || input[field].trim() === '') {
      throw configError(`S3 ${field} is required`);
    }
  }
  // S3 bucket naming rules (3-63 lowercase letters, digits, dots, hyphens).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(input.bucket)) {
    throw configError(`S3 bucket "${input.bucket}" is not a valid bucket name`);
  }
  if (input.endpoint) {
    let url: URL;
    try {
      url = new URL(input.endpoint);
    } catch {
      throw configError('S3 endpoint must be a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw configError('S3 endpoint must be http(s)');
  }
  if (input.checksums && input.checksums !== 'WHEN_SUPPORTED' && input.checksums !== 'WHEN_REQUIRED') {
    throw configError('S3 checksums must be WHEN_SUPPORTED or WHEN_REQUIRED');
  }
  return { ...input };
}

/** Reads `REPLAY_S3_*` (see `S3_ENV`); throws `CONFIG_INVALID` when a required one is missing. */
export function s3ConfigFromEnv(env: Record<string, string | undefined> = process.env): S3Config {
  const flag = env[S3_ENV.forcePathStyle]?.trim().toLowerCase();
  const checksums = env[S3_ENV.checksums]?.trim().toUpperCase();
  return parseS3Config({
    bucket: env[S3_ENV.bucket]?.trim() ?? '',
    region: env[S3_ENV.region]?.trim() || 'us-east-1',
    endpoint: env[S3_ENV.endpoint]?.trim() || undefined,
    accessKeyId: env[S3_ENV.accessKeyId]?.trim() ?? '',
    secretAccessKey: env[S3_ENV.secretAccessKey] ?? '',
    sessionToken: env[S3_ENV.sessionToken] || undefined,
    forcePathStyle: flag === 'true' || flag === '1',
    checksums: (checksums || undefined) as S3Config['checksums'],
  });
}

/** An S3 client for `config`, with its checksum behaviour applied. */
export function createS3Client(config: S3Config): S3Client {
  const checksums = config.checksums ?? 'WHEN_SUPPORTED';
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint || undefined,
    forcePathStyle: config.forcePathStyle ?? false,
    credentials: {
      accessKeyId: config.accessKeyId,
      secretAccessKey: config.secretAccessKey,
      sessionToken: config.sessionToken,
    },
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
  });
}

/** Wraps an SDK failure in a coded error (the SDK's own error stays as `cause`). */
export function s3Error(action: string, error: unknown): ReplayBufferError {
  if (error instanceof ReplayBufferError) return error;
  const name = (error as { name?: string })?.name;
  return new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `Could not ${action}`, {
    cause: error,
    details: name ? { s3Error: name } : undefined,
  });
}

/** True for "no such key" answers (GET → NoSuchKey, HEAD → NotFound / 404). */
export function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
