import { type EgressInfo, EgressStatus, SegmentsInfo } from '@livekit/protocol';
import type { EgressProcess, SegmentLayout, SegmentRecord } from './egress-process.js';
import type { ResolvedEncoding } from './encoding.js';
import type { S3SegmentUploader } from './s3-uploader.js';
import { nsFromMs } from './util.js';

/** A snapshot of one emulated egress. */
export interface EmulatedEgress {
  egressId: string;
  roomName: string;
  status: EgressStatus;
  /** The EgressInfo the API would return now (a copy). */
  info: EgressInfo;
  /** Wall-clock ms of the first frame; frame N shows originMs + N·1000/fps. */
  originMs: number;
  historySeconds: number;
  /** Directory holding segments and playlists. */
  outputDir: string;
  playlistPath: string;
  livePlaylistPath: string | undefined;
  /** Segment file name prefix (inside outputDir). */
  filenamePrefix: string;
  segmentSeconds: number;
  encoding: ResolvedEncoding;
  /** Finished segments, in order. */
  segments: SegmentRecord[];
  /** ffmpeg's pid while it runs. */
  pid: number | undefined;
  stalled: boolean;
  /** For an S3 output: where it uploads, and how many segments are uploaded and listed in the live playlist. */
  s3?: { bucket: string; playlistKey: string; livePlaylistKey: string | undefined; uploadedSegments: number };
}

/** The emulator's live state for one egress. */
export interface EgressRecord {
  info: EgressInfo;
  layout: SegmentLayout;
  encoding: ResolvedEncoding;
  originMs: number;
  historySeconds: number;
  process: EgressProcess;
  /** Uploads to S3 when the request's output has an `s3` config. */
  uploader?: S3SegmentUploader;
  s3Keys?: { playlistKey: string; livePlaylistKey: string | undefined };
  /** Playlist/segment paths as LiveKit reports them (relative to the root when inside it). */
  reportedPlaylist: string;
  reportedLivePlaylist: string;
  waiters: Set<() => void>;
  done: Promise<void>;
  settle: () => void;
}

export const ACTIVE_STATUSES = new Set([
  EgressStatus.EGRESS_STARTING,
  EgressStatus.EGRESS_ACTIVE,
  EgressStatus.EGRESS_ENDING,
]);

/** Segments a waiter may count: uploaded and listed for an S3 output, written otherwise. */
export function segmentCount(r: EgressRecord): number {
  return r.uploader ? r.uploader.published : r.process.segments.length;
}

export function segmentsInfo(r: EgressRecord): SegmentsInfo {
  const segs = r.process?.segments ?? [];
  const first = segs[0];
  const last = segs[segs.length - 1];
  return new SegmentsInfo({
    playlistName: r.reportedPlaylist,
    livePlaylistName: r.reportedLivePlaylist,
    playlistLocation: r.layout.playlistPath,
    livePlaylistLocation: r.layout.livePlaylistPath ?? '',
    duration: BigInt(Math.round(segs.reduce((s, x) => s + x.durationS, 0) * 1e9)),
    size: BigInt(segs.reduce((s, x) => s + x.size, 0)),
    segmentCount: BigInt(segs.length),
    startedAt: first ? nsFromMs(first.pdtMs) : 0n,
    endedAt: last ? nsFromMs(last.pdtMs + last.durationS * 1000) : 0n,
  });
}

export function refreshResults(r: EgressRecord): void {
  const info = segmentsInfo(r);
  r.info.segmentResults = [info];
  if (r.info.result.case === 'segments') r.info.result = { case: 'segments', value: info.clone() };
}

export function snapshot(r: EgressRecord): EmulatedEgress {
  return {
    egressId: r.info.egressId,
    roomName: r.info.roomName,
    status: r.info.status,
    info: r.info.clone(),
    originMs: r.originMs,
    historySeconds: r.historySeconds,
    outputDir: r.layout.dir,
    playlistPath: r.layout.playlistPath,
    livePlaylistPath: r.layout.livePlaylistPath,
    filenamePrefix: r.layout.prefix,
    segmentSeconds: r.layout.segmentSeconds,
    encoding: r.encoding,
    segments: [...r.process.segments],
    pid: r.process.isRunning ? r.process.pid : undefined,
    stalled: r.process.isStalled,
    s3:
      r.uploader && r.s3Keys
        ? { bucket: r.uploader.bucket, ...r.s3Keys, uploadedSegments: r.uploader.published }
        : undefined,
  };
}

/**
 * Resolves with the finished segments once at least `count` exist. Rejects when the egress
 * ends with fewer, or after `timeoutMs`.
 */
export function waitForSegmentCount(
  r: EgressRecord,
  count: number,
  timeoutMs: number,
): Promise<SegmentRecord[]> {
  const egressId = r.info.egressId;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      if (segmentCount(r) >= count) {
        cleanup();
        resolve([...(r.uploader ? r.uploader.uploaded : r.process.segments)]);
      } else if (!ACTIVE_STATUSES.has(r.info.status)) {
        cleanup();
        reject(
          new Error(
            `egress ${egressId} ended (${EgressStatus[r.info.status]}) with ${segmentCount(r)} of ${count} segments`,
          ),
        );
      }
    };
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      r.waiters.delete(check);
    };
    timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${count} segments of ${egressId} (have ${segmentCount(r)})`,
        ),
      );
    }, timeoutMs);
    r.waiters.add(check);
    check();
  });
}
