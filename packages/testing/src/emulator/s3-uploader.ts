import { createReadStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { EgressInfo, S3Upload } from '@livekit/protocol';
import type { SegmentRecord } from './egress-process.js';
import { renderPlaylist } from './playlist-writer.js';

const LIVE_WINDOW = 5;
const MIB = 1024 * 1024;
const HOUR_MS = 3_600_000;

export interface S3UploaderOptions {
  upload: S3Upload;
  /** Object keys of the playlists and of the manifest (`<egressId>.json`). */
  playlistKey: string;
  livePlaylistKey: string | undefined;
  manifestKey: string;
  /** Object key of a segment file name. */
  segmentKey: (name: string) => string;
  segmentSeconds: number;
  /** When the egress started (its first frame): the main playlist's cadence counts hours from it. */
  startedAtMs: number;
  /** Segments the main playlist lags behind (fault knob). */
  playlistLag: () => number;
  onUploaded: () => void;
  onError: (message: string) => void;
  now?: () => number;
}

/** A segment upload held half-way (multipart started, not completed) until `release()`. */
export interface HeldUpload {
  /** Resolves once the multipart upload exists in the bucket with its part uploaded. */
  started: Promise<void>;
  release(): void;
}

/**
 * Uploads one egress's segments and playlists to S3 the way LiveKit's egress does: each
 * finished segment is uploaded at once (uploads run in parallel; multipart above 5 MiB) and
 * joins the playlists only once its upload completes; the live playlist (last 5) is
 * re-uploaded after every segment, the main playlist only every (hours elapsed + 1) segments
 * or when a minute has passed; at the end both get `#EXT-X-ENDLIST` and `<egressId>.json` is
 * written.
 */
export class S3SegmentUploader {
  /** Uploaded segments, ordered by index. */
  readonly uploaded: SegmentRecord[] = [];
  /** Segments uploaded whose live playlist upload has completed too. */
  published = 0;
  private readonly client: S3Client;
  readonly bucket: string;
  private readonly inflight = new Set<Promise<void>>();
  private readonly held = new Map<
    number,
    { started: () => void; released: Promise<void>; release: () => void }
  >();
  private playlistWrites: Promise<void> = Promise.resolve();
  private sinceMain = 0;
  private lastMainAt: number;
  private readonly now: () => number;
  private failed = false;

  constructor(private readonly options: S3UploaderOptions) {
    const { upload } = options;
    this.bucket = upload.bucket;
    this.now = options.now ?? Date.now;
    this.lastMainAt = this.now();
    this.client = new S3Client({
      region: upload.region || 'us-east-1',
      endpoint: upload.endpoint || undefined,
      forcePathStyle: upload.forcePathStyle,
      credentials: {
        accessKeyId: upload.accessKey,
        secretAccessKey: upload.secret,
        sessionToken: upload.sessionToken || undefined,
      },
    });
  }

  /** Holds the upload of segment `index` half-way (it must not have started yet). */
  hold(index: number): HeldUpload {
    let started = () => {};
    const startedPromise = new Promise<void>((resolve) => {
      started = resolve;
    });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.held.set(index, { started, released, release });
    return { started: startedPromise, release };
  }

  /** Starts uploading a finished segment (does not wait for it). */
  add(segment: SegmentRecord): void {
    const task = this.uploadSegment(segment)
      // Like egress, the local copy goes once uploaded.
      .then(() => rm(segment.path, { force: true }))
      .then(() => {
        insertByIndex(this.uploaded, segment);
        this.sinceMain++;
        return this.queuePlaylists(false);
      })
      .then(() => {
        this.published++;
        this.options.onUploaded();
      })
      .catch((error: unknown) => this.fail(`could not upload ${segment.name}: ${(error as Error).message}`))
      .finally(() => this.inflight.delete(task));
    this.inflight.add(task);
  }

  /** Waits for the uploads in flight, then uploads final playlists (ENDLIST) and the manifest. */
  async finish(info: EgressInfo): Promise<void> {
    for (const h of this.held.values()) h.release();
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    this.queuePlaylists(true);
    await this.playlistWrites;
    await this.put(
      this.options.manifestKey,
      JSON.stringify(this.manifest(info), null, 2),
      'application/json',
    );
    this.client.destroy();
  }

  /** Stops without final playlists (host death): uploads in flight are left to finish or fail. */
  dispose(): void {
    for (const h of this.held.values()) h.release();
    this.client.destroy();
  }

  private async uploadSegment(segment: SegmentRecord): Promise<void> {
    const key = this.options.segmentKey(segment.name);
    const held = this.held.get(segment.index);
    if (!held) {
      await new Upload({
        client: this.client,
        params: {
          Bucket: this.bucket,
          Key: key,
          Body: createReadStream(segment.path),
          ContentType: 'video/MP2T',
        },
        partSize: 5 * MIB,
        queueSize: 3,
      }).done();
      return;
    }
    // An upload in progress: the object is not visible until CompleteMultipartUpload.
    const { UploadId } = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'video/MP2T' }),
    );
    const part = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId,
        PartNumber: 1,
        Body: await readFile(segment.path),
      }),
    );
    held.started();
    await held.released;
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    );
  }

  private queuePlaylists(ended: boolean): Promise<void> {
    const entries = this.uploaded.map((s) => ({ name: s.name, pdtMs: s.pdtMs, durationS: s.durationS }));
    const hoursElapsed = Math.max(0, Math.floor((this.now() - this.options.startedAtMs) / HOUR_MS));
    const mainDue = ended || this.sinceMain >= hoursElapsed + 1 || this.now() - this.lastMainAt >= 60_000;
    const writes: Array<[string, string]> = [];
    if (this.options.livePlaylistKey) {
      const first = Math.max(0, entries.length - LIVE_WINDOW);
      writes.push([
        this.options.livePlaylistKey,
        renderPlaylist(entries.slice(first), {
          targetDuration: this.options.segmentSeconds,
          mediaSequence: this.uploaded[first]?.index ?? 0,
          event: false,
          ended,
        }),
      ]);
    }
    if (mainDue) {
      const lag = ended ? 0 : Math.max(0, Math.floor(this.options.playlistLag()));
      const mainEntries = lag > 0 ? entries.slice(0, Math.max(0, entries.length - lag)) : entries;
      this.sinceMain = 0;
      this.lastMainAt = this.now();
      writes.push([
        this.options.playlistKey,
        renderPlaylist(mainEntries, {
          targetDuration: this.options.segmentSeconds,
          mediaSequence: 0,
          event: true,
          ended,
        }),
      ]);
    }
    // One playlist write at a time, in order: a slow older write never replaces a newer one.
    this.playlistWrites = this.playlistWrites
      .then(async () => {
        for (const [key, body] of writes) await this.put(key, body, 'application/vnd.apple.mpegurl');
      })
      .catch((error: unknown) => this.fail(`could not upload a playlist: ${(error as Error).message}`));
    return this.playlistWrites;
  }

  private async put(key: string, body: string, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  private fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.options.onError(message);
  }

  private manifest(info: EgressInfo): Record<string, unknown> {
    return {
      egress_id: info.egressId,
      room_id: info.roomId,
      room_name: info.roomName,
      started_at: Number(info.startedAt),
      ended_at: Number(info.endedAt) || this.now() * 1e6,
      playlists: [this.options.playlistKey, this.options.livePlaylistKey].filter(Boolean),
      segments: this.uploaded.map((s) => ({
        filename: this.options.segmentKey(s.name),
        started_at: Math.round(s.pdtMs * 1e6),
        duration: Math.round(s.durationS * 1e9),
        size: s.size,
      })),
    };
  }
}

function insertByIndex(list: SegmentRecord[], segment: SegmentRecord): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as SegmentRecord).index > segment.index) i--;
  list.splice(i, 0, segment);
}
