import path from 'node:path';
import { z } from 'zod';
import { ReplayBufferError, ReplayErrorCode } from './errors.js';

const GB = 1024 ** 3;

const httpUrl = z.url({ protocol: /^https?$/ });

/** A per-egress webhook target: the `webhooks` field of an egress start request. */
export const egressWebhookSchema = z.object({
  /** Where LiveKit POSTs this egress's events. */
  url: httpUrl,
  /** The API key whose secret signs the webhook JWT (LiveKit's `signing_key`). */
  signingKey: z.string().min(1),
});

/**
 * LiveKit's `S3Upload` fields (an `S3Upload` from @livekit/protocol is accepted as is). Comes
 * from the deployment's configuration only: LiveKit receives these credentials.
 */
export const egressS3UploadSchema = z
  .object({
    bucket: z.string().min(3),
    region: z.string().default(''),
    /** Custom endpoint (S3-compatible services); empty for AWS. Must be reachable from the egress. */
    endpoint: z.union([z.literal(''), httpUrl]).default(''),
    /** Empty (with an empty secret) lets a self-hosted egress use its own role. */
    accessKey: z.string().default(''),
    secret: z.string().default(''),
    sessionToken: z.string().default(''),
    forcePathStyle: z.boolean().default(false),
  })
  .refine((upload) => (upload.accessKey === '') === (upload.secret === ''), {
    message: 'accessKey and secret go together',
    path: ['secret'],
  });

export type EgressWebhook = z.input<typeof egressWebhookSchema>;
export type EgressS3UploadInput = z.input<typeof egressS3UploadSchema>;

/**
 * Everything the manager can be tuned with. Defaults are chosen for a chat app's screen share:
 * a 10-minute buffer of 2-second segments (finer segments mean a save waits less for the
 * segment in progress and smart cuts re-encode less).
 */
export const replayConfigSchema = z.object({
  livekit: z.object({
    url: z.string().url(),
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
    /**
     * Key pairs LiveKit may sign webhooks with besides the API pair above (livekit.yaml
     * `webhook.api_key`; several while rotating). A webhook signed by any configured pair is
     * accepted; one signed with a key that is not configured is refused.
     */
    webhookKeys: z.array(z.object({ apiKey: z.string().min(1), apiSecret: z.string().min(1) })).optional(),
    /**
     * Egress uploads segments and playlists to this bucket instead of writing local files
     * (LiveKit Cloud refuses local outputs). `egressSegmentsDir` is then the key prefix.
     */
    egressUpload: z.object({ s3: egressS3UploadSchema }).optional(),
    /** LiveKit also sends each buffer egress's events here (no project-wide webhook needed). */
    egressWebhooks: z.array(egressWebhookSchema).optional(),
  }),
  /** Root where LiveKit egress writes segments, as this process sees it. */
  segmentsDir: z.string().min(1),
  /** The same root as the egress host sees it (shared volume mounted elsewhere). */
  egressSegmentsDir: z.string().min(1).optional(),
  /** Root for finished clips (local clip storage) and scratch space. */
  clipsDir: z.string().min(1),
  /** How much history the buffer keeps, seconds. */
  bufferDurationSeconds: z.number().positive().max(7200).default(600),
  segmentDurationSeconds: z.number().int().min(1).max(10).default(2),
  segmentNaming: z.enum(['INDEX', 'TIMESTAMP']).default('INDEX'),
  defaultQuality: z.enum(['720p', '1080p', '1440p', 'source']).default('1080p'),
  /** Longest save allowed, seconds. */
  maxCaptureSeconds: z.number().positive().max(7200).default(600),
  /** How long a save waits for the segment in progress to complete, seconds. */
  liveEdgeWaitSeconds: z.number().min(0).max(60).default(15),
  /** Concurrent captures per process (ffmpeg is expensive). */
  maxConcurrentCaptures: z.number().int().min(1).max(64).default(2),
  defaultQuotaBytes: z
    .number()
    .int()
    .positive()
    .default(5 * GB),
  defaultCommunityMaxConcurrent: z.number().int().positive().default(5),
  /** Keep segments this long after a share ends, so the user can still save. */
  retainAfterStopSeconds: z.number().int().min(0).default(300),
  /** Extra history kept beyond the buffer before segments are deleted. */
  segmentGraceSeconds: z.number().int().min(0).default(30),
  /** Sessions live longer than this are treated as orphans. */
  orphanAfterSeconds: z
    .number()
    .positive()
    .default(3 * 3600),
  /** A session still waiting for its egress id after this long is orphaned (a start that crashed). */
  startTimeoutSeconds: z.number().int().positive().default(120),
  /** Segment directories no session refers to (left by crashes) are swept once idle this long. */
  unreferencedDirGraceSeconds: z.number().int().min(0).default(3600),
  /** Sweep unreferenced directories at all (only `rs_<hex>` names this library issued); off when the root is shared with tools that do not expect it. */
  sweepUnreferencedDirs: z.boolean().default(true),
  /** Maintenance intervals (ReplayBufferManager.startScheduler). */
  reconcileIntervalSeconds: z.number().positive().default(60),
  orphanCleanupIntervalSeconds: z.number().positive().default(600),
  segmentSweepIntervalSeconds: z.number().positive().default(60),
  ffmpegPath: z.string().min(1).optional(),
  ffprobePath: z.string().min(1).optional(),
});

export type ReplayConfigInput = z.input<typeof replayConfigSchema>;
export type ReplayConfig = z.output<typeof replayConfigSchema>;

/** Parses and validates a configuration object; errors name every bad field. */
export function parseReplayConfig(input: unknown): ReplayConfig {
  const result = replayConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `Invalid replay buffer configuration — ${problems.join('; ')}`,
      { details: { fields: result.error.issues.map((issue) => issue.path.join('.')) } },
    );
  }
  const config = result.data;
  return {
    ...config,
    segmentsDir: path.resolve(config.segmentsDir),
    clipsDir: path.resolve(config.clipsDir),
  };
}

/**
 * Environment variable names, mapped to config fields. The seed's names (`REPLAY_SEGMENTS_PATH`,
 * `REPLAY_EGRESS_OUTPUT_PATH`, `REPLAY_CLIPS_PATH`) and earlier names in other units
 * (`…_MINUTES`, `…_HOURS`, see REPLAY_ENV_UNITS) are accepted as aliases; when both an alias
 * and the canonical name are set, the canonical one wins.
 */
export const REPLAY_ENV = {
  // aliases first, so the canonical names below override them
  REPLAY_SEGMENTS_PATH: 'segmentsDir',
  REPLAY_EGRESS_OUTPUT_PATH: 'egressSegmentsDir',
  REPLAY_CLIPS_PATH: 'clipsDir',
  REPLAY_BUFFER_DURATION_MINUTES: 'bufferDurationSeconds',
  REPLAY_ORPHAN_AFTER_HOURS: 'orphanAfterSeconds',
  LIVEKIT_URL: 'livekit.url',
  LIVEKIT_API_KEY: 'livekit.apiKey',
  LIVEKIT_API_SECRET: 'livekit.apiSecret',
  REPLAY_SEGMENTS_DIR: 'segmentsDir',
  REPLAY_EGRESS_SEGMENTS_DIR: 'egressSegmentsDir',
  REPLAY_CLIPS_DIR: 'clipsDir',
  REPLAY_BUFFER_DURATION_SECONDS: 'bufferDurationSeconds',
  REPLAY_SEGMENT_DURATION_SECONDS: 'segmentDurationSeconds',
  REPLAY_SEGMENT_NAMING: 'segmentNaming',
  REPLAY_DEFAULT_QUALITY: 'defaultQuality',
  REPLAY_MAX_CAPTURE_SECONDS: 'maxCaptureSeconds',
  REPLAY_MAX_CONCURRENT_CAPTURES: 'maxConcurrentCaptures',
  REPLAY_DEFAULT_QUOTA_BYTES: 'defaultQuotaBytes',
  REPLAY_COMMUNITY_MAX_CONCURRENT: 'defaultCommunityMaxConcurrent',
  REPLAY_RETAIN_AFTER_STOP_SECONDS: 'retainAfterStopSeconds',
  REPLAY_ORPHAN_AFTER_SECONDS: 'orphanAfterSeconds',
  REPLAY_LIVE_EDGE_WAIT_SECONDS: 'liveEdgeWaitSeconds',
  REPLAY_SEGMENT_GRACE_SECONDS: 'segmentGraceSeconds',
  REPLAY_START_TIMEOUT_SECONDS: 'startTimeoutSeconds',
  REPLAY_UNREFERENCED_DIR_GRACE_SECONDS: 'unreferencedDirGraceSeconds',
  REPLAY_RECONCILE_INTERVAL_SECONDS: 'reconcileIntervalSeconds',
  REPLAY_ORPHAN_CLEANUP_INTERVAL_SECONDS: 'orphanCleanupIntervalSeconds',
  REPLAY_SEGMENT_SWEEP_INTERVAL_SECONDS: 'segmentSweepIntervalSeconds',
  REPLAY_SWEEP_UNREFERENCED_DIRS: 'sweepUnreferencedDirs',
  FFMPEG_PATH: 'ffmpegPath',
  FFPROBE_PATH: 'ffprobePath',
} as const;

/** Aliases in another unit: the value is multiplied into seconds. */
export const REPLAY_ENV_UNITS: Partial<Record<keyof typeof REPLAY_ENV, number>> = {
  REPLAY_BUFFER_DURATION_MINUTES: 60,
  REPLAY_ORPHAN_AFTER_HOURS: 3600,
};

const NUMERIC_FIELDS = new Set([
  'bufferDurationSeconds',
  'liveEdgeWaitSeconds',
  'segmentDurationSeconds',
  'maxCaptureSeconds',
  'maxConcurrentCaptures',
  'defaultQuotaBytes',
  'defaultCommunityMaxConcurrent',
  'retainAfterStopSeconds',
  'orphanAfterSeconds',
  'segmentGraceSeconds',
  'startTimeoutSeconds',
  'unreferencedDirGraceSeconds',
  'reconcileIntervalSeconds',
  'orphanCleanupIntervalSeconds',
  'segmentSweepIntervalSeconds',
]);

const BOOLEAN_FIELDS = new Set(['sweepUnreferencedDirs']);
const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

/**
 * Webhook signing pairs from the environment: `LIVEKIT_WEBHOOK_API_KEY` + `LIVEKIT_WEBHOOK_API_SECRET`
 * (the seed's `LIVEKIT_WEBHOOK_KEY` / `LIVEKIT_WEBHOOK_SECRET` are read as aliases; a secret
 * without a key pairs with `LIVEKIT_API_KEY`), and `LIVEKIT_WEBHOOK_KEYS="key1:secret1,key2:secret2"`
 * for rotation.
 */
function webhookKeysFromEnv(
  env: Record<string, string | undefined>,
): Array<{ apiKey: string; apiSecret: string }> {
  const pairs: Array<{ apiKey: string; apiSecret: string }> = [];
  const secret = env.LIVEKIT_WEBHOOK_API_SECRET || env.LIVEKIT_WEBHOOK_SECRET;
  const key = env.LIVEKIT_WEBHOOK_API_KEY || env.LIVEKIT_WEBHOOK_KEY || env.LIVEKIT_API_KEY;
  if (secret) pairs.push({ apiKey: key ?? '', apiSecret: secret });
  for (const entry of (env.LIVEKIT_WEBHOOK_KEYS ?? '').split(',')) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf(':');
    if (at <= 0 || entry.slice(at + 1).trim() === '') {
      throw new ReplayBufferError(
        ReplayErrorCode.CONFIG_INVALID,
        'LIVEKIT_WEBHOOK_KEYS must be a comma-separated list of key:secret pairs',
        { details: { fields: ['livekit.webhookKeys'], variable: 'LIVEKIT_WEBHOOK_KEYS' } },
      );
    }
    pairs.push({ apiKey: entry.slice(0, at).trim(), apiSecret: entry.slice(at + 1).trim() });
  }
  return pairs;
}

/**
 * Per-egress webhooks from the environment: `LIVEKIT_EGRESS_WEBHOOK_URL` (one URL, or several
 * separated by commas), signed with `LIVEKIT_EGRESS_WEBHOOK_SIGNING_KEY` (default: the API key).
 */
function egressWebhooksFromEnv(
  env: Record<string, string | undefined>,
  apiKey: string | undefined,
): EgressWebhook[] | undefined {
  const variable = 'LIVEKIT_EGRESS_WEBHOOK_URL';
  const urls = (env[variable] ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  if (urls.length === 0) return undefined;
  for (const url of urls) {
    if (!httpUrl.safeParse(url).success) {
      throw new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, `${variable} must be http(s) URLs`, {
        details: { fields: ['livekit.egressWebhooks'], variable },
      });
    }
  }
  const signingKey = env.LIVEKIT_EGRESS_WEBHOOK_SIGNING_KEY?.trim() || apiKey || '';
  return urls.map((url) => ({ url, signingKey }));
}

/** What `replayConfigFromEnv` lets code set over the environment (`livekit` field by field). */
export type ReplayConfigOverrides = Omit<Partial<ReplayConfigInput>, 'livekit'> & {
  livekit?: Partial<ReplayConfigInput['livekit']>;
};

/**
 * Reads the configuration from environment variables (see REPLAY_ENV); `overrides` win.
 * Errors name the environment variable, not just the field.
 */
export function replayConfigFromEnv(
  env: Record<string, string | undefined> = process.env,
  overrides: ReplayConfigOverrides = {},
): ReplayConfig {
  const input: Record<string, unknown> = { livekit: {} };
  for (const [variable, field] of Object.entries(REPLAY_ENV)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (NUMERIC_FIELDS.has(field)) {
      value = Number(raw) * (REPLAY_ENV_UNITS[variable as keyof typeof REPLAY_ENV] ?? 1);
      if (!Number.isFinite(value)) {
        throw new ReplayBufferError(
          ReplayErrorCode.CONFIG_INVALID,
          `${variable} must be a number, got "${raw}"`,
          {
            details: { fields: [field], variable },
          },
        );
      }
    }
    if (BOOLEAN_FIELDS.has(field)) {
      value = BOOLEAN_WORDS[raw.toLowerCase()];
      if (value === undefined) {
        throw new ReplayBufferError(
          ReplayErrorCode.CONFIG_INVALID,
          `${variable} must be true or false, got "${raw}"`,
          { details: { fields: [field], variable } },
        );
      }
    }
    if (field.startsWith('livekit.')) (input.livekit as Record<string, unknown>)[field.slice(8)] = value;
    else input[field] = value;
  }
  const webhookKeys = webhookKeysFromEnv(env);
  if (webhookKeys.length > 0) (input.livekit as Record<string, unknown>).webhookKeys = webhookKeys;
  const livekit: Record<string, unknown> = { ...(input.livekit as object), ...(overrides.livekit ?? {}) };
  if (livekit.egressWebhooks === undefined) {
    livekit.egressWebhooks = egressWebhooksFromEnv(env, livekit.apiKey as string | undefined);
  }
  return parseReplayConfig({ ...input, ...overrides, livekit });
}
