import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import {
  assertByteRange,
  assertSegmentPrefix,
  type ListSegmentsOptions,
  type OpenSegmentOptions,
  type ParsedPlaylist,
  parsePlaylist,
  parseSegmentName,
  type Segment,
  type SegmentIndexSnapshot,
  type SegmentSource,
  type SegmentSourceLayout,
} from '@livekit-replay/core/adapter';
import { isNotFound, s3Error } from './config.js';
import { deleteObjectBatches, MAX_DELETE_BATCH } from './delete-batches.js';
import { normalizeKeyPrefix } from './keys.js';
import { chunksOf, readChunks } from './ranged-reader.js';
import { type ListedObject, mergeSegmentIndex, type SegmentTimingProbe } from './segment-merge.js';
import { objectProber } from './segment-probe.js';

export interface S3SegmentSourceOptions {
  client: S3Client;
  bucket: string;
  /** `dir` is the key prefix the egress uploads to (`rooms/r1/u1`; empty for the bucket root). */
  layout: SegmentSourceLayout;
  /** Bytes per ranged GET when reading segments (default 1 MiB). */
  partSizeBytes?: number;
  /** Ranged GETs in flight per read (default 4); memory ≈ partSizeBytes × (concurrency + 2). */
  concurrency?: number;
  /**
   * A full listing replaces the incremental one this often (default 5 min), to forget objects
   * deleted by someone else and to catch keys that sort before the last known one.
   */
  fullRelistIntervalMs?: number;
  /**
   * Uploads run in parallel, so a segment can complete after later ones. Each listing starts
   * after the newest key uploaded at least this long before the newest upload seen (default
   * 2 min); a segment whose upload lags its successors by more is found by the next full listing.
   */
  lateUploadWindowMs?: number;
  /** Keys per DeleteObjects request (default and maximum 1000). */
  deleteBatchSize?: number;
  /** Timing of a segment no playlist lists (default: core's in-process MPEG-TS reader over one GET). */
  probe?: SegmentTimingProbe;
  gapToleranceMs?: number;
  now?: () => number;
}

/**
 * The segments a LiveKit egress uploads to a bucket. Each `list()` reads both playlists and
 * lists only the objects after the last key it knows (`StartAfter`), then merges them the way
 * the local index merges a directory with its playlists (see `mergeSegmentIndex`).
 * Segments are read with ranged, parallel GETs; retention deletes them in `DeleteObjects`
 * batches.
 */
export class S3SegmentSource implements SegmentSource {
  /** Segments are objects: media operations read them through `open` (ranged GETs). */
  readonly local = false;
  readonly layout: SegmentSourceLayout;
  /** Key prefix of the egress's objects: `''` or `rooms/r1/u1/`. */
  readonly keyPrefix: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly objects = new Map<string, ListedObject>();
  private lastFullListAt = Number.NEGATIVE_INFINITY;
  private readonly partSize: number;
  private readonly concurrency: number;
  private readonly fullRelistIntervalMs: number;
  private readonly lateUploadWindowMs: number;
  private readonly deleteBatchSize: number;
  private readonly probe: SegmentTimingProbe;
  private readonly now: () => number;
  private readonly options: S3SegmentSourceOptions;

  constructor(options: S3SegmentSourceOptions) {
    this.options = options;
    this.client = options.client;
    this.bucket = options.bucket;
    this.layout = options.layout;
    this.keyPrefix = normalizeKeyPrefix(options.layout.dir);
    assertSegmentPrefix(options.layout.filenamePrefix);
    this.partSize = Math.max(64 * 1024, Math.floor(options.partSizeBytes ?? 1024 * 1024));
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    this.fullRelistIntervalMs = options.fullRelistIntervalMs ?? 5 * 60_000;
    this.lateUploadWindowMs = Math.max(0, options.lateUploadWindowMs ?? 120_000);
    this.deleteBatchSize = Math.min(
      MAX_DELETE_BATCH,
      Math.max(1, Math.floor(options.deleteBatchSize ?? 1000)),
    );
    this.probe = options.probe ?? objectProber(options.client, options.bucket);
    this.now = options.now ?? Date.now;
  }

  /** The object key of a segment or playlist name. */
  keyOf(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  async list(options: ListSegmentsOptions = {}): Promise<SegmentIndexSnapshot> {
    const { playlistName, livePlaylistName } = this.layout;
    // Playlists first: a segment they list was uploaded before them, so the listing that
    // follows includes it.
    const [main, live] = await Promise.all([
      this.readPlaylist(playlistName, options.signal),
      livePlaylistName && livePlaylistName !== playlistName
        ? this.readPlaylist(livePlaylistName, options.signal)
        : Promise.resolve(null),
    ]);
    await this.refreshListing(options.signal);
    return mergeSegmentIndex({
      layout: this.layout,
      main,
      live,
      objects: [...this.objects.values()],
      probe: this.probe,
      gapToleranceMs: options.gapToleranceMs ?? this.options.gapToleranceMs,
      signal: options.signal,
    });
  }

  async open(segment: Segment, options: OpenSegmentOptions = {}): Promise<Readable> {
    const key = this.segmentKey(segment);
    const range = options.range ?? { start: 0, end: segment.sizeBytes - 1 };
    assertByteRange(range, segment.sizeBytes);
    return readChunks(chunksOf(key, range.start, range.end, this.partSize), this.readOptions(options.signal));
  }

  openMany(segments: readonly Segment[], options: { signal?: AbortSignal } = {}): Readable {
    const chunks = segments.flatMap((segment) =>
      segment.sizeBytes > 0
        ? chunksOf(this.segmentKey(segment), 0, segment.sizeBytes - 1, this.partSize)
        : [],
    );
    return readChunks(chunks, this.readOptions(options.signal));
  }

  async deleteSegments(segments: readonly Pick<Segment, 'name'>[]): Promise<number> {
    const names = [...new Set(segments.map((s) => s.name))];
    for (const name of names) this.assertSegmentName(name);
    await deleteObjectBatches(
      this.client,
      this.bucket,
      names.map((name) => this.keyOf(name)),
      this.deleteBatchSize,
      (deleted) => {
        for (const key of deleted) this.objects.delete(key.slice(this.keyPrefix.length));
      },
    );
    return names.length;
  }

  private readOptions(signal: AbortSignal | undefined) {
    return { client: this.client, bucket: this.bucket, concurrency: this.concurrency, signal };
  }

  private assertSegmentName(name: string): void {
    if (!parseSegmentName(name, this.layout.filenamePrefix, this.layout.naming)) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `"${name}" is not a segment of this egress`);
    }
  }

  private segmentKey(segment: Segment): string {
    this.assertSegmentName(segment.name);
    return this.keyOf(segment.name);
  }

  private async readPlaylist(name: string, signal?: AbortSignal): Promise<ParsedPlaylist | null> {
    // A body cut off mid-read (connection reset while the egress replaces the playlist) is
    // worth another try; the SDK retries only failures before the body.
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(name) }),
          signal ? { abortSignal: signal } : {},
        );
        return parsePlaylist((await response.Body?.transformToString('utf8')) ?? '');
      } catch (error) {
        if (isNotFound(error)) return null; // not uploaded yet
        if (attempt >= 3 || signal?.aborted) throw s3Error(`read playlist ${this.keyOf(name)}`, error);
      }
    }
  }

  /**
   * The key to list after: the newest key whose upload completed `lateUploadWindowMs` before
   * the newest upload seen (S3's clock on both sides). Undefined: list from the start.
   */
  private resumeKey(): string | undefined {
    let newestUpload = Number.NEGATIVE_INFINITY;
    for (const o of this.objects.values()) newestUpload = Math.max(newestUpload, o.lastModifiedMs);
    let resume: string | undefined;
    for (const o of this.objects.values()) {
      if (
        o.lastModifiedMs <= newestUpload - this.lateUploadWindowMs &&
        (resume === undefined || o.key > resume)
      ) {
        resume = o.key;
      }
    }
    return resume;
  }

  /** Lists segment objects after the settled ones (or all of them, now and then). */
  private async refreshListing(signal?: AbortSignal): Promise<void> {
    const full = this.objects.size === 0 || this.now() - this.lastFullListAt >= this.fullRelistIntervalMs;
    const startAfter = full ? undefined : this.resumeKey();
    const prefix = `${this.keyPrefix}${this.layout.filenamePrefix}_`;
    const seen = new Map<string, ListedObject>();
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            StartAfter: token ? undefined : startAfter,
            ContinuationToken: token,
          }),
          signal ? { abortSignal: signal } : {},
        );
        for (const item of page.Contents ?? []) {
          if (!item.Key) continue;
          const name = item.Key.slice(this.keyPrefix.length);
          if (!parseSegmentName(name, this.layout.filenamePrefix, this.layout.naming)) continue;
          seen.set(name, {
            name,
            key: item.Key,
            sizeBytes: item.Size ?? 0,
            lastModifiedMs: item.LastModified?.getTime() ?? this.now(),
          });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw s3Error(`list segments under ${prefix}`, error);
    }
    if (full) {
      this.objects.clear();
      this.lastFullListAt = this.now();
    }
    for (const [name, object] of seen) this.objects.set(name, object);
  }
}
