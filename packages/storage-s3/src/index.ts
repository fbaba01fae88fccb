// Per-egress webhooks are core's (the gateway sends them); re-exported for direct EgressClient use.
export { type EgressWebhook, egressWebhooks } from '@livekit-replay/core/adapter';
export {
  createS3Client,
  isNotFound,
  parseS3Config,
  S3_ENV,
  type S3Config,
  s3ConfigFromEnv,
  s3Error,
} from './config.js';
export { deleteObjectBatches, MAX_DELETE_BATCH } from './delete-batches.js';
export { egressS3Upload, withS3Upload } from './egress.js';
export { assertStorageKey, normalizeKeyPrefix } from './keys.js';
export { type ByteChunk, chunksOf, type RangedReadOptions, readChunks } from './ranged-reader.js';
export {
  type S3ReplayConfig,
  type S3ReplaySetup,
  type S3ReplaySetupOptions,
  s3ReplaySetup,
  s3ReplaySetupFromEnv,
} from './replay-setup.js';
export { S3ClipStorage, type S3ClipStorageOptions, type S3CommitResult } from './s3-clip-storage.js';
export { S3SegmentSource, type S3SegmentSourceOptions } from './s3-segment-source.js';
export { S3SegmentSourceFactory, type S3SegmentSourceFactoryOptions } from './s3-segment-source-factory.js';
export {
  type ListedObject,
  type MergeInput,
  mergeSegmentIndex,
  type SegmentTimingProbe,
} from './segment-merge.js';
export { objectProber } from './segment-probe.js';
