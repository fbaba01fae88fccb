import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { s3Error } from './config.js';

/** DeleteObjects accepts at most 1000 keys per request. */
export const MAX_DELETE_BATCH = 1000;

/**
 * Deletes `keys` with `DeleteObjects`, `batchSize` keys a request (at most 1000). Keys already
 * gone count as deleted (S3 says so). `onDeleted` hears each batch's deleted keys, also when a
 * later batch fails; any key S3 refused fails the call with STORAGE_ERROR naming a few.
 */
export async function deleteObjectBatches(
  client: S3Client,
  bucket: string,
  keys: readonly string[],
  batchSize = MAX_DELETE_BATCH,
  onDeleted?: (keys: string[]) => void,
): Promise<void> {
  const size = Math.min(MAX_DELETE_BATCH, Math.max(1, Math.floor(batchSize)));
  for (let i = 0; i < keys.length; i += size) {
    const batch = keys.slice(i, i + size);
    let errors: { Key?: string; Code?: string }[] = [];
    try {
      const result = await client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      errors = result.Errors ?? [];
    } catch (error) {
      throw s3Error(`delete ${batch.length} objects`, error);
    }
    const failed = new Set(errors.map((e) => e.Key));
    onDeleted?.(batch.filter((key) => !failed.has(key)));
    if (errors.length > 0) {
      throw new ReplayBufferError(
        ReplayErrorCode.STORAGE_ERROR,
        `Could not delete ${errors.length} objects`,
        {
          details: { keys: errors.slice(0, 10).map((e) => e.Key), code: errors[0]?.Code },
        },
      );
    }
  }
}
