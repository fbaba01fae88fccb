import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { type ClipStorage, ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import {
  assertByteRange,
  type ByteRange,
  type PendingWrite,
  type PresignGetOptions,
} from '@livekit-replay/core/adapter';
import { isNotFound, s3Error } from './config.js';
import { assertStorageKey, normalizeKeyPrefix } from './keys.js';

const MIB = 1024 * 1024;
/** S3's smallest multipart part (except the last). */
const MIN_PART_SIZE = 5 * MIB;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const TEMP_PREFIX = '.partial-';

export interface S3ClipStorageOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key (`replay/` → `replay/clips/clip_x.mp4`). */
  keyPrefix?: string;
  /** Local directory for the files the pipeline writes before upload. Default: the OS temp dir. */
  tempDir?: string;
  /** Multipart part size in bytes (≥ 5 MiB, default 8 MiB). */
  partSizeBytes?: number;
  /** Parts uploaded in parallel (default 4); memory ≈ partSizeBytes × queueSize per upload. */
  queueSize?: number;
}

/** The result of a commit: what `PendingWrite.commit` promises, plus the content's SHA-256. */
export interface S3CommitResult {
  key: string;
  sizeBytes: number;
  /** Hex SHA-256 of the uploaded bytes, computed while they streamed out. */
  sha256: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.json': 'application/json',
};

/**
 * Clips and posters in an S3 bucket. The pipeline writes to a local temporary file
 * (`PendingWrite.path`); `commit` streams it to the bucket as a multipart upload while
 * hashing it, and removes it. A failed upload is aborted (no orphaned multipart upload is
 * left to bill), the temporary file is removed either way, and readers never see a partial
 * object (S3 publishes an object only when its upload completes).
 */
export class S3ClipStorage implements ClipStorage {
  readonly bucket: string;
  readonly keyPrefix: string;
  private readonly client: S3Client;
  private readonly tempDir: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3ClipStorageOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.keyPrefix = normalizeKeyPrefix(options.keyPrefix);
    this.tempDir = path.resolve(options.tempDir ?? path.join(tmpdir(), 'livekit-replay-s3-clips'));
    this.partSize = Math.max(MIN_PART_SIZE, Math.floor(options.partSizeBytes ?? 8 * MIB));
    this.queueSize = Math.max(1, Math.floor(options.queueSize ?? 4));
  }

  /** The object key in the bucket for a storage key. */
  objectKey(key: string): string {
    return `${this.keyPrefix}${assertStorageKey(key)}`;
  }

  async beginWrite(key: string): Promise<PendingWrite & { commit(): Promise<S3CommitResult> }> {
    const objectKey = this.objectKey(key);
    try {
      await mkdir(this.tempDir, { recursive: true });
    } catch (error) {
      throw new ReplayBufferError(
        ReplayErrorCode.STORAGE_ERROR,
        'Could not create the upload temp directory',
        {
          cause: error,
        },
      );
    }
    const tempPath = path.join(
      this.tempDir,
      `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.posix.basename(key)}`,
    );
    let settled = false;
    return {
      path: tempPath,
      commit: async () => {
        if (settled) throw new ReplayBufferError(ReplayErrorCode.INTERNAL, `write of ${key} already settled`);
        settled = true;
        try {
          const { sha256, sizeBytes } = await this.upload(tempPath, objectKey);
          return { key, sizeBytes, sha256 };
        } finally {
          await rm(tempPath, { force: true });
        }
      },
      abort: async () => {
        settled = true;
        await rm(tempPath, { force: true });
      },
    };
  }

  private async upload(filePath: string, objectKey: string): Promise<{ sha256: string; sizeBytes: number }> {
    try {
      await stat(filePath);
    } catch (error) {
      throw s3Error(`read the file to upload for ${objectKey}`, error);
    }
    const hash = createHash('sha256');
    let sizeBytes = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        callback(null, chunk);
      },
    });
    const source = createReadStream(filePath);
    source.on('error', (error) => hashing.destroy(error));
    source.pipe(hashing);
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: objectKey,
        Body: hashing,
        ContentType: CONTENT_TYPES[path.extname(objectKey).toLowerCase()] ?? 'application/octet-stream',
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      source.destroy();
      // lib-storage aborts the multipart upload itself; repeat it in case that call failed,
      // so no parts are left behind (S3 bills them until aborted). NoSuchUpload means done.
      if (upload.uploadId) {
        await this.client
          .send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: objectKey,
              UploadId: upload.uploadId,
            }),
          )
          .catch(() => {});
      }
      throw s3Error(`upload ${objectKey}`, error);
    }
    return { sha256: hash.digest('hex'), sizeBytes };
  }

  async openRead(key: string, range?: ByteRange): Promise<Readable> {
    const objectKey = this.objectKey(key);
    if (range) {
      const size = await this.size(key);
      if (size === null) throw notFound(key);
      assertByteRange(range, size);
    }
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      const body = response.Body;
      if (!(body instanceof Readable)) throw new Error('the S3 response has no readable body');
      return body;
    } catch (error) {
      if (isNotFound(error)) throw notFound(key);
      throw s3Error(`read ${key}`, error);
    }
  }

  async size(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw s3Error(`read the size of ${key}`, error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw s3Error(`delete ${key}`, error);
    }
  }

  /**
   * A presigned GET URL. The client may send any `Range` header with it (it is not part of the
   * signature), so players can seek and download by ranges straight from the bucket.
   */
  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    const expiresIn = Math.floor(options.expiresInSeconds);
    if (!Number.isFinite(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
      throw new ReplayBufferError(
        ReplayErrorCode.INVALID_INPUT,
        `expiresInSeconds must be between 1 and ${MAX_PRESIGN_SECONDS}`,
      );
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ResponseContentDisposition: options.fileName ? contentDisposition(options.fileName) : undefined,
      ResponseContentType: options.contentType,
    });
    try {
      return await getSignedUrl(this.client, command, { expiresIn });
    } catch (error) {
      throw s3Error(`presign ${key}`, error);
    }
  }

  /**
   * Crash leftovers older than `olderThanMs`: local temporary files and incomplete multipart
   * uploads. Returns how many were removed. (The maintenance job calls this on any storage
   * that has it.)
   */
  async sweepPartialWrites(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const names = await readdir(this.tempDir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const file = path.join(this.tempDir, name);
      const info = await stat(file).catch(() => null);
      if (info && now - info.mtimeMs > olderThanMs) {
        await rm(file, { force: true });
        removed++;
      }
    }
    return removed + (await this.sweepIncompleteUploads(olderThanMs, now));
  }

  /**
   * Aborts multipart uploads under this storage's prefix started more than `olderThanMs` ago
   * (left by a crashed process). Returns how many. Backstop: a bucket lifecycle rule with
   * `AbortIncompleteMultipartUpload`.
   */
  async sweepIncompleteUploads(olderThanMs: number, now = Date.now()): Promise<number> {
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.keyPrefix || undefined,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
        );
        for (const upload of page.Uploads ?? []) {
          const started = upload.Initiated?.getTime() ?? 0;
          if (!upload.Key || !upload.UploadId || now - started < olderThanMs) continue;
          await this.client.send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: upload.Key,
              UploadId: upload.UploadId,
            }),
          );
          aborted++;
        }
        if (!page.IsTruncated) return aborted;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (error) {
      throw s3Error('abort incomplete uploads', error);
    }
  }
}

function notFound(key: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.CLIP_NOT_FOUND, `No stored file for ${key}`);
}

/** `attachment` with an ASCII fallback name and the exact name in RFC 5987 form. */
function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}
