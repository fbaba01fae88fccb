import type { Readable } from 'node:stream';

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

/**
 * A write in progress. The pipeline writes to `path` (a temporary file on the destination's
 * filesystem), then calls `commit` (atomic publish) or `abort` (removes everything).
 */
export interface PendingWrite {
  readonly path: string;
  commit(): Promise<{ key: string; sizeBytes: number }>;
  abort(): Promise<void>;
}

export interface PresignGetOptions {
  /** How long the URL works, seconds (the backend may cap it). */
  expiresInSeconds: number;
  /** Served as `Content-Disposition: attachment; filename="…"` when set. */
  fileName?: string;
  /** Overrides the stored `Content-Type` of the response. */
  contentType?: string;
}

/** Where finished clips and posters are kept. Keys are built by the library from safe ids. */
export interface ClipStorage {
  beginWrite(key: string): Promise<PendingWrite>;
  /** Opens a stream over the object, or a byte range of it. */
  openRead(key: string, range?: ByteRange): Promise<Readable>;
  /** Size in bytes, or null when the object does not exist. */
  size(key: string): Promise<number | null>;
  /** Removes the object; succeeds when it is already gone. */
  delete(key: string): Promise<void>;
  /**
   * A time-limited URL a client can GET directly (object storage), so a route can redirect
   * instead of proxying bytes. Range requests on the URL are honoured. Optional: storages
   * without it are read through `openRead`.
   */
  presignGet?(key: string, options: PresignGetOptions): Promise<string>;
}
