import { S3Upload, type SegmentedFileOutput, WebhookConfig } from '@livekit/protocol';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { parseS3Config, type S3Config } from './config.js';

/**
 * The `S3Upload` LiveKit egress uses to upload segments and playlists: built from the
 * deployment's S3 configuration only (never from request input), so a caller cannot point
 * egress at another bucket or read the credentials back. The endpoint must be reachable from
 * LiveKit's egress (for LiveKit Cloud: from the internet).
 */
export function egressS3Upload(config: S3Config): S3Upload {
  const checked = parseS3Config(config);
  return new S3Upload({
    accessKey: checked.accessKeyId,
    secret: checked.secretAccessKey,
    sessionToken: checked.sessionToken ?? '',
    region: checked.region,
    endpoint: checked.endpoint ?? '',
    bucket: checked.bucket,
    forcePathStyle: checked.forcePathStyle ?? false,
  });
}

/** A copy of `output` that uploads to the configured bucket instead of writing local files. */
export function withS3Upload(output: SegmentedFileOutput, config: S3Config): SegmentedFileOutput {
  const copy = output.clone();
  copy.output = { case: 's3', value: egressS3Upload(config) };
  return copy;
}

export interface EgressWebhook {
  /** Where LiveKit POSTs this egress's events (https in production). */
  url: string;
  /** The API key whose secret signs the webhook JWT (LiveKit's `signing_key`). */
  signingKey: string;
}

/**
 * Per-egress webhooks (`webhooks` on the start request): a LiveKit Cloud project then needs no
 * dashboard webhook for egress events.
 */
export function egressWebhooks(hooks: readonly EgressWebhook[]): WebhookConfig[] {
  return hooks.map((hook) => {
    let url: URL;
    try {
      url = new URL(hook.url);
    } catch {
      throw new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, 'egress webhook url must be a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, 'egress webhook url must be http(s)');
    }
    if (!hook.signingKey)
      throw new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, 'egress webhook needs a signing key');
    return new WebhookConfig({ url: url.toString(), signingKey: hook.signingKey });
  });
}
