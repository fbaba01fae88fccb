export {
  createS3Client,
  isNotFound,
  parseS3Config,
  S3_ENV,
  type S3Config,
  s3ConfigFromEnv,
  s3Error,
} from './config.js';
export { assertStorageKey, normalizeKeyPrefix } from './keys.js';
export { S3ClipStorage, type S3ClipStorageOptions, type S3CommitResult } from './s3-clip-storage.js';
