import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  assertSafeId,
  type SegmentSourceFactory,
  type SegmentSourceLayout,
} from '@livekit-replay/core/adapter';
import { s3Error } from './config.js';
import { deleteObjectBatches } from './delete-batches.js';
import { normalizeKeyPrefix } from './keys.js';
import { S3SegmentSource, type S3SegmentSourceOptions } from './s3-segment-source.js';

export interface S3SegmentSourceFactoryOptions extends Omit<S3SegmentSourceOptions, 'layout'> {
  /**
   * The key prefix the egress uploads under (the manager's `egressSegmentsDir` with S3): a
   * session's objects are `<keyPrefix>/<segmentDir>/…`. Empty: the bucket root.
   */
  keyPrefix?: string;
  /** Sources kept at once (default 1000); beyond it the least recently used one is dropped. */
  maxSources?: number;
}

/**
 * Default full relisting for sources made here: another instance's retention deletes segments
 * this instance's incremental listing would otherwise still show. A buffer's keys fit in one
 * or two ListObjectsV2 pages, so a full listing every 30 s is cheap.
 */
export const FACTORY_FULL_RELIST_INTERVAL_MS = 30_000;

/**
 * One `S3SegmentSource` per session, resolved under `keyPrefix`: pass it as the manager's
 * `segments` option. A source lists incrementally, so it is kept between calls (and dropped
 * when its session ends, or when too many are kept).
 */
export class S3SegmentSourceFactory implements SegmentSourceFactory {
  readonly local = false;
  /** `''` or `replay/`. */
  readonly keyPrefix: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly maxSources: number;
  private readonly sources = new Map<string, { key: string; source: S3SegmentSource }>();

  constructor(private readonly options: S3SegmentSourceFactoryOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.keyPrefix = normalizeKeyPrefix(options.keyPrefix);
    this.maxSources = Math.max(1, Math.floor(options.maxSources ?? 1000));
  }

  forLayout(layout: SegmentSourceLayout): S3SegmentSource {
    const dir = assertSafeId(layout.dir, 'segmentDir');
    const key = JSON.stringify([
      layout.filenamePrefix,
      layout.playlistName,
      layout.livePlaylistName,
      layout.naming,
      layout.segmentDurationSeconds,
    ]);
    const cached = this.sources.get(dir);
    this.sources.delete(dir); // re-inserted last: the map's order is least recently used first
    if (cached && cached.key === key) {
      this.sources.set(dir, cached);
      return cached.source;
    }
    const { keyPrefix: _prefix, maxSources: _max, ...sourceOptions } = this.options;
    const source = new S3SegmentSource({
      fullRelistIntervalMs: FACTORY_FULL_RELIST_INTERVAL_MS,
      ...sourceOptions,
      layout: { ...layout, dir: `${this.keyPrefix}${dir}` },
    });
    this.sources.set(dir, { key, source });
    if (this.sources.size > this.maxSources) {
      const oldest = this.sources.keys().next().value;
      if (oldest !== undefined) this.sources.delete(oldest);
    }
    return source;
  }

  release(layout: Pick<SegmentSourceLayout, 'dir'>): void {
    this.sources.delete(layout.dir);
  }

  /** The session prefixes directly under `keyPrefix` (ListObjectsV2 with a `/` delimiter). */
  async listDirs(): Promise<string[]> {
    const dirs: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.keyPrefix,
            Delimiter: '/',
            ContinuationToken: token,
          }),
        );
        for (const common of page.CommonPrefixes ?? []) {
          const name = common.Prefix?.slice(this.keyPrefix.length).replace(/\/$/, '');
          if (name) dirs.push(name);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw s3Error(`list session prefixes under ${this.keyPrefix || '/'}`, error);
    }
    return dirs;
  }

  /** Deletes every object under `<keyPrefix>/<dir>/` (segments, playlists, manifest) in batches. */
  async deleteLayout(layout: Pick<SegmentSourceLayout, 'dir'>): Promise<void> {
    const prefix = `${this.keyPrefix}${assertSafeId(layout.dir, 'segmentDir')}/`;
    this.release(layout);
    let token: string | undefined;
    try {
      do {
        // Each page is deleted before the next is listed: memory stays one page.
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
        await deleteObjectBatches(this.client, this.bucket, keys, this.options.deleteBatchSize);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (error) {
      throw s3Error(`delete the objects under ${prefix}`, error);
    }
  }
}
