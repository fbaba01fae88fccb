import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { assertSafeId } from '../ids.js';
import type { ClipPage, ClipStore, ListClipsOptions } from '../ports/clip-store.js';
import { assertExternalId } from '../store-validation.js';
import type { ClipRecord, ClipVisibility } from '../types.js';

export const DEFAULT_CLIP_PAGE_SIZE = 20;
export const MAX_CLIP_PAGE_SIZE = 100;

const VISIBILITIES: readonly ClipVisibility[] = ['private', 'public'];

/** Position of a clip in the newest-first order: (createdAt desc, id desc). */
export interface ClipCursorPosition {
  createdAt: Date;
  id: string;
}

/** Encodes a keyset position as an opaque, URL-safe cursor. Adapters may reuse it. */
export function encodeClipCursor(position: ClipCursorPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.getTime(), position.id]), 'utf8').toString(
    'base64url',
  );
}

/** Decodes a cursor from `encodeClipCursor`; throws INVALID_INPUT for anything else. */
export function decodeClipCursor(cursor: string): ClipCursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    Number.isSafeInteger(parsed[0]) &&
    typeof parsed[1] === 'string' &&
    parsed[1].length > 0
  ) {
    return { createdAt: new Date(parsed[0] as number), id: parsed[1] };
  }
  throw new ReplayBufferError(
    ReplayErrorCode.INVALID_INPUT,
    'the cursor is not valid; pass the nextCursor of a previous page or none',
    { details: { field: 'cursor' } },
  );
}

/** Validates the listing options shared by every ClipStore; returns the page size. */
export function resolveClipPageSize(options: ListClipsOptions): number {
  const limit = options.limit ?? DEFAULT_CLIP_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CLIP_PAGE_SIZE) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      `limit must be an integer from 1 to ${MAX_CLIP_PAGE_SIZE}`,
      { details: { field: 'limit' } },
    );
  }
  if (options.visibility !== undefined) assertVisibility(options.visibility);
  return limit;
}

function assertVisibility(value: unknown): ClipVisibility {
  if (!VISIBILITIES.includes(value as ClipVisibility)) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'visibility must be "private" or "public"', {
      details: { field: 'visibility' },
    });
  }
  return value as ClipVisibility;
}

/** Newest first; ids break ties so the order (and so the cursor) is total. */
function newestFirst(a: ClipRecord, b: ClipRecord): number {
  return b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** True when `clip` comes after `position` in the newest-first order. */
function isAfter(clip: ClipRecord, position: ClipCursorPosition): boolean {
  const t = clip.createdAt.getTime();
  const p = position.createdAt.getTime();
  return t < p || (t === p && clip.id < position.id);
}

/** ClipStore kept in a Map; records are copied on the way in and out. */
export class MemoryClipStore implements ClipStore {
  /** Stored records by id (protected so tests can read what was stored). */
  protected readonly records = new Map<string, ClipRecord>();

  async create(clip: ClipRecord): Promise<ClipRecord> {
    assertSafeId(clip.id, 'clip id');
    assertExternalId(clip.ownerId, 'ownerId');
    assertVisibility(clip.visibility);
    if (this.records.has(clip.id)) {
      throw new ReplayBufferError(
        ReplayErrorCode.INVALID_INPUT,
        `a clip with id "${clip.id}" already exists`,
        {
          details: { clipId: clip.id },
        },
      );
    }
    const record = structuredClone(clip);
    this.records.set(record.id, record);
    return structuredClone(record);
  }

  async get(id: string): Promise<ClipRecord | null> {
    const record = this.records.get(id);
    return record ? structuredClone(record) : null;
  }

  async listByOwner(ownerId: string, options: ListClipsOptions = {}): Promise<ClipPage> {
    const limit = resolveClipPageSize(options);
    const position = options.cursor ? decodeClipCursor(options.cursor) : null;
    const matching = [...this.records.values()]
      .filter(
        (clip) =>
          clip.ownerId === ownerId &&
          (options.visibility === undefined || clip.visibility === options.visibility) &&
          (position === null || isAfter(clip, position)),
      )
      .sort(newestFirst);
    const items = matching.slice(0, limit).map((clip) => structuredClone(clip));
    const last = items[items.length - 1];
    const nextCursor = matching.length > limit && last ? encodeClipCursor(last) : null;
    return { items, nextCursor };
  }

  async setVisibility(id: string, visibility: ClipVisibility): Promise<ClipRecord | null> {
    assertVisibility(visibility);
    const record = this.records.get(id);
    if (!record) return null;
    record.visibility = visibility;
    return structuredClone(record);
  }

  async setTitle(id: string, title: string | null): Promise<ClipRecord | null> {
    if (title !== null && (typeof title !== 'string' || title.length > 200)) {
      throw new ReplayBufferError(
        ReplayErrorCode.INVALID_INPUT,
        'title must be a string of at most 200 characters',
      );
    }
    const record = this.records.get(id);
    if (!record) return null;
    record.title = title;
    return structuredClone(record);
  }

  async delete(id: string): Promise<ClipRecord | null> {
    const record = this.records.get(id);
    if (!record) return null;
    this.records.delete(id);
    return record;
  }
}
