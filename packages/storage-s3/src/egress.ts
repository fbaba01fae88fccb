import { S3Upload, type SegmentedFileOutput } from '@livekit/protocol';
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
