import { type ClipStore, ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import {
  assertByteCount,
  assertExternalId,
  assertSafeId,
  type ClipMetadata,
  type ClipPage,
  type ClipRecord,
  type ClipVisibility,
  decodeClipCursor,
  encodeClipCursor,
  type ListClipsOptions,
  resolveClipPageSize,
} from '@livekit-replay/core/adapter';
import type { Prisma, ReplayClip } from '../generated/postgresql/client.js';
import {
  assertDate,
  assertOptionalExternalId,
  assertOptionalText,
  assertText,
  db,
  guard,
  invalid,
  type StoreContext,
  toBigInt,
  toNumber,
  transaction,
  uniqueViolation,
} from '../internal.js';

const VISIBILITIES: readonly ClipVisibility[] = ['private', 'public'];

function assertVisibility(value: unknown): ClipVisibility {
  if (!VISIBILITIES.includes(value as ClipVisibility))
    throw invalid('visibility must be "private" or "public"', 'visibility');
  return value as ClipVisibility;
}

function assertFiniteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`${field} must be a finite number`, field);
  return value;
}

function assertInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw invalid(`${field} must be a non-negative 32-bit integer`, field);
  }
  return value;
}

export function toClip(row: ReplayClip): ClipRecord {
  return {
    id: row.id,
    ownerId: row.ownerId,
    sessionId: row.sessionId,
    communityId: row.communityId,
    roomName: row.roomName,
    channelId: row.channelId,
    requestedStart: row.requestedStart,
    requestedEnd: row.requestedEnd,
    actualStart: row.actualStart,
    actualEnd: row.actualEnd,
    durationSeconds: row.durationSeconds,
    sizeBytes: toNumber(row.sizeBytes),
    sha256: row.sha256,
    mimeType: row.mimeType,
    width: row.width,
    height: row.height,
    visibility: row.visibility as ClipVisibility,
    storageKey: row.storageKey,
    posterKey: row.posterKey,
    title: row.title,
    metadata: row.metadata as unknown as ClipMetadata,
    createdAt: row.createdAt,
  };
}

/** The longest clip title (the HTTP contract allows 200). */
const MAX_TITLE_LENGTH = 200;

function duplicate(id: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `a clip with id "${id}" already exists`, {
    details: { clipId: id },
  });
}

/**
 * ClipStore on Prisma. Listings are keyset pages over (createdAt desc, id desc), served by the
 * (ownerId, createdAt, id) index. The app's own file records (the seed's `File` rows) are not
 * this store's business: see ClipFileRecords / createSeedFileRecords.
 */
export class PrismaClipStore implements ClipStore {
  constructor(private readonly ctx: StoreContext) {}

  async create(clip: ClipRecord): Promise<ClipRecord> {
    if (clip === null || typeof clip !== 'object') throw invalid('clip must be an object', 'clip');
    assertSafeId(clip.id, 'clip id');
    assertExternalId(clip.ownerId, 'ownerId');
    assertVisibility(clip.visibility);
    if (clip.metadata === null || typeof clip.metadata !== 'object')
      throw invalid('metadata must be an object', 'metadata');
    const data = {
      id: clip.id,
      ownerId: clip.ownerId,
      sessionId: assertText(clip.sessionId, 'sessionId'),
      communityId: assertOptionalExternalId(clip.communityId ?? null, 'communityId'),
      roomName: assertText(clip.roomName, 'roomName'),
      channelId: assertOptionalText(clip.channelId ?? null, 'channelId') ?? null,
      requestedStart: assertDate(clip.requestedStart, 'requestedStart'),
      requestedEnd: assertDate(clip.requestedEnd, 'requestedEnd'),
      actualStart: assertDate(clip.actualStart, 'actualStart'),
      actualEnd: assertDate(clip.actualEnd, 'actualEnd'),
      durationSeconds: assertFiniteNumber(clip.durationSeconds, 'durationSeconds'),
      sizeBytes: toBigInt(assertByteCount(clip.sizeBytes, 'sizeBytes')),
      sha256: assertText(clip.sha256, 'sha256'),
      mimeType: assertText(clip.mimeType, 'mimeType'),
      width: assertInteger(clip.width, 'width'),
      height: assertInteger(clip.height, 'height'),
      visibility: clip.visibility,
      storageKey: assertText(clip.storageKey, 'storageKey'),
      posterKey: assertOptionalText(clip.posterKey ?? null, 'posterKey') ?? null,
      title: assertOptionalText(clip.title ?? null, 'title') ?? null,
      // JSON round trip: plain data only, as the database will hand it back.
      metadata: JSON.parse(JSON.stringify(clip.metadata)) as Prisma.InputJsonValue,
      createdAt: assertDate(clip.createdAt, 'createdAt'),
    };
    return guard(this.ctx, 'saving the clip record', async () => {
      try {
        const row = await transaction(this.ctx, 'ReplayClip', async (tx) => {
          if (await tx.replayClip.findUnique({ where: { id: data.id }, select: { id: true } })) {
            throw duplicate(data.id);
          }
          return tx.replayClip.create({ data });
        });
        return toClip(row);
      } catch (error) {
        if (uniqueViolation(error)) throw duplicate(data.id);
        throw error;
      }
    });
  }

  async get(id: string): Promise<ClipRecord | null> {
    assertSafeId(id, 'clip id');
    return guard(this.ctx, 'reading the clip record', async () => {
      const row = await db(this.ctx).replayClip.findUnique({ where: { id } });
      return row ? toClip(row) : null;
    });
  }

  async listByOwner(ownerId: string, options: ListClipsOptions = {}): Promise<ClipPage> {
    assertExternalId(ownerId, 'ownerId');
    const limit = resolveClipPageSize(options);
    const position = options.cursor ? decodeClipCursor(options.cursor) : null;
    const where: Prisma.ReplayClipWhereInput = {
      ownerId,
      ...(options.visibility ? { visibility: options.visibility } : {}),
      ...(position
        ? {
            OR: [
              { createdAt: { lt: position.createdAt } },
              { createdAt: position.createdAt, id: { lt: position.id } },
            ],
          }
        : {}),
    };
    return guard(this.ctx, 'listing clips', async () => {
      const rows = await db(this.ctx).replayClip.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
      });
      const items = rows.slice(0, limit).map(toClip);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit && last ? encodeClipCursor(last) : null };
    });
  }

  async setVisibility(id: string, visibility: ClipVisibility): Promise<ClipRecord | null> {
    assertSafeId(id, 'clip id');
    assertVisibility(visibility);
    return guard(this.ctx, 'changing the clip visibility', async () => {
      const rows = await db(this.ctx).replayClip.updateManyAndReturn({
        where: { id },
        data: { visibility },
      });
      return rows[0] ? toClip(rows[0]) : null;
    });
  }

  async setTitle(id: string, title: string | null): Promise<ClipRecord | null> {
    assertSafeId(id, 'clip id');
    const text = assertOptionalText(title, 'title') ?? null;
    if (text !== null && text.length > MAX_TITLE_LENGTH) {
      throw new ReplayBufferError(
        ReplayErrorCode.INVALID_INPUT,
        `title must be at most ${MAX_TITLE_LENGTH} characters`,
        { details: { field: 'title' } },
      );
    }
    return guard(this.ctx, 'renaming the clip', async () => {
      const rows = await db(this.ctx).replayClip.updateManyAndReturn({
        where: { id },
        data: { title: text },
      });
      return rows[0] ? toClip(rows[0]) : null;
    });
  }

  async delete(id: string): Promise<ClipRecord | null> {
    assertSafeId(id, 'clip id');
    return guard(this.ctx, 'deleting the clip record', () =>
      transaction(this.ctx, 'ReplayClip', async (tx) => {
        const row = await tx.replayClip.findUnique({ where: { id } });
        if (!row) return null;
        // The conditional delete decides between parallel deletes: only one sees count 1.
        const { count } = await tx.replayClip.deleteMany({ where: { id } });
        if (count === 0) return null;
        return toClip(row);
      }),
    );
  }
}
