import { type ClipFileRecords, ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { type ClipRecord, toFileRecord } from '@livekit-replay/core/adapter';

/**
 * The part of a Prisma model delegate these records use: your `prisma.file` (any model with
 * the seed's `File` fields). Typed loosely so that any generated delegate fits.
 */
export interface FileModelDelegate {
  upsert(args: never): PromiseLike<unknown>;
  deleteMany(args: never): PromiseLike<unknown>;
  updateMany(args: never): PromiseLike<unknown>;
}

/** How this module calls the delegate. */
interface FileWrites {
  upsert(args: { where: { id: string }; create: object; update: object }): PromiseLike<unknown>;
  deleteMany(args: { where: object }): PromiseLike<unknown>;
  updateMany(args: { where: object; data: object }): PromiseLike<unknown>;
}

/** Core's `ClipFileRecords` port (`hooks.clipFileRecords`), writing the seed's `File` rows. */
export type SeedFileRecords = ClipFileRecords;

export interface SeedFileRecordsOptions {
  /** `fileType` (the seed's enum FileType). Default `'VIDEO'`; `null` leaves the field out. */
  fileType?: string | null;
  /** `storageType` (the seed's enum StorageType). Default `'LOCAL'`; `null` leaves it out. */
  storageType?: string | null;
  /** How `size` is written: `'number'` (the seed's `Int`, the default) or `'bigint'` (`BigInt`). */
  size?: 'number' | 'bigint';
  /**
   * Seed typed-FK column set to the owner (the seed's `fileUserId`, used for REPLAY_CLIP).
   * Default `'fileUserId'`; `null` leaves it out.
   */
  ownerColumn?: string | null;
  /** Column for the poster's storage key (the seed's `thumbnailPath`). Default `'thumbnailPath'`; `null` to skip. */
  posterColumn?: string | null;
  /** Mark the row deleted (`deletedAt`, the seed's soft delete) instead of deleting it. Default false. */
  softDelete?: boolean;
  /** Last word on the row written: receives the clip and the row built from the options. */
  data?: (clip: ClipRecord, row: Record<string, unknown>) => Record<string, unknown>;
}

const INT_MAX = 2_147_483_647;

/**
 * ClipFileRecords for an app with the seed's `File` model: one row per clip, written through
 * the app's own Prisma model (`resourceType: 'REPLAY_CLIP'`, `fileType`, `storageType`,
 * `storagePath`, `checksum`, `uploadedById`, …), with the clip's id as the row's id. The SDK
 * never creates or alters that table; pass the result as `hooks.clipFileRecords`.
 *
 * @param target your `prisma.file` delegate, or the PrismaClient that has it.
 */
export function createSeedFileRecords(
  target: FileModelDelegate | { file: FileModelDelegate },
  options: SeedFileRecordsOptions = {},
): SeedFileRecords {
  const files = (typeof (target as FileModelDelegate).upsert === 'function'
    ? target
    : (target as { file: FileModelDelegate }).file) as unknown as FileWrites;
  if (!files || typeof files.upsert !== 'function' || typeof files.deleteMany !== 'function') {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      'createSeedFileRecords needs your Prisma File model (prisma.file) or a client that has it',
    );
  }
  const rowOf = (clip: ClipRecord): Record<string, unknown> => {
    const record = toFileRecord(clip);
    if (options.size !== 'bigint' && record.size > INT_MAX) {
      throw new ReplayBufferError(
        ReplayErrorCode.STORAGE_ERROR,
        `clip ${clip.id} is ${record.size} bytes, more than the File.size Int column holds; ` +
          "make it BigInt and pass { size: 'bigint' }",
        { details: { clipId: clip.id, sizeBytes: record.size } },
      );
    }
    const row: Record<string, unknown> = {
      id: record.id,
      filename: record.filename,
      mimeType: record.mimeType,
      size: options.size === 'bigint' ? BigInt(record.size) : record.size,
      checksum: record.checksum,
      resourceType: record.resourceType,
      storagePath: record.storagePath,
      uploadedById: record.uploadedById,
    };
    const fileType = options.fileType === undefined ? 'VIDEO' : options.fileType;
    if (fileType !== null) row.fileType = fileType;
    const storageType = options.storageType === undefined ? 'LOCAL' : options.storageType;
    if (storageType !== null) row.storageType = storageType;
    const ownerColumn = options.ownerColumn === undefined ? 'fileUserId' : options.ownerColumn;
    if (ownerColumn !== null) row[ownerColumn] = clip.ownerId;
    const posterColumn = options.posterColumn === undefined ? 'thumbnailPath' : options.posterColumn;
    if (posterColumn !== null) row[posterColumn] = clip.posterKey ?? null;
    return options.data ? options.data(clip, row) : row;
  };
  return {
    async created({ clip }) {
      const row = rowOf(clip);
      const { id: _id, ...update } = row;
      // Upsert: a retried hook leaves one row.
      await files.upsert({ where: { id: clip.id }, create: row, update });
    },
    async deleted({ clip }) {
      const where = { id: clip.id, resourceType: 'REPLAY_CLIP' };
      if (options.softDelete) await files.updateMany({ where, data: { deletedAt: new Date() } });
      else await files.deleteMany({ where });
    },
  };
}
