import type { ClipRecord, ClipVisibility } from '../types.js';

export interface ListClipsOptions {
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | null;
  /** Page size, 1–100. */
  limit?: number;
  visibility?: ClipVisibility;
}

export interface ClipPage {
  items: ClipRecord[];
  nextCursor: string | null;
}

/** Clip records, newest first in listings. Same error rules as SessionStore. */
export interface ClipStore {
  create(clip: ClipRecord): Promise<ClipRecord>;
  get(id: string): Promise<ClipRecord | null>;
  listByOwner(ownerId: string, options?: ListClipsOptions): Promise<ClipPage>;
  setVisibility(id: string, visibility: ClipVisibility): Promise<ClipRecord | null>;
  /** Renames a clip (`null` clears the title; at most 200 characters, else INVALID_INPUT). */
  setTitle(id: string, title: string | null): Promise<ClipRecord | null>;
  /** Removes and returns the record; null when it was already gone (idempotent delete). */
  delete(id: string): Promise<ClipRecord | null>;
}
