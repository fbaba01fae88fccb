import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EgressInfo,
  EgressSourceType,
  EgressStatus,
  ListEgressRequest,
  ListEgressResponse,
  StopEgressRequest,
} from '@livekit/protocol';
import { EgressLifecycle } from './egress-lifecycle.js';
import { EgressProcess, type SegmentRecord } from './egress-process.js';
import {
  ACTIVE_STATUSES,
  type EgressRecord,
  type EmulatedEgress,
  segmentsInfo,
  snapshot,
  waitForSegmentCount,
} from './egress-record.js';
import { resolveEncoding } from './encoding.js';
import { EmulatorFaults } from './faults.js';
import { EmulatedRooms } from './room-events.js';
import { type HeldUpload, S3SegmentUploader } from './s3-uploader.js';
import { startTwirpServer, type TwirpServer } from './server.js';
import { parseStartRequest, planOutput } from './start-request.js';
import { TwirpError } from './twirp-error.js';
import { livekitId, nsFromMs } from './util.js';
import { type WebhookLogEntry, WebhookSender } from './webhooks.js';

export type { EmulatedEgress } from './egress-record.js';

export interface EgressEmulatorOptions {
  /** API key/secret the Twirp API accepts and webhooks are signed with. */
  apiKey?: string;
  apiSecret?: string;
  /** Listen port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  /**
   * Root that relative `filenamePrefix` paths resolve against (the egress's working dir or
   * shared volume). Default: a fresh temp dir, removed by `close()`.
   */
  segmentsRoot?: string;
  /** Where webhooks are POSTed; none are sent without it (changeable with `setWebhookUrl`). */
  webhookUrl?: string;
  /** ffmpeg binary: this, then `FFMPEG_PATH`, then `ffmpeg` on PATH. */
  ffmpegPath?: string;
  /** Seconds of past history each new egress starts with (see `setHistorySeconds`). */
  historySeconds?: number;
  /** Caps the encoded frame rate (tests use e.g. 10 to save CPU); the requested rate is kept in `encoding.requestedFps`. */
  maxFrameRate?: number;
  /** Caps the encoded height (aspect kept, never narrower than the 512 px frame stamp), to save CPU. */
  maxHeight?: number;
  /** Webhook request timeout (ms, default 5000). */
  webhookTimeoutMs?: number;
  /**
   * Behave like LiveKit Cloud: refuse segmented outputs without an upload config (`invalid_argument`
   * "request has missing or invalid field: output"), as Cloud and `disallow_local_storage` do.
   */
  cloud?: boolean;
  /** Receives one line per lifecycle step (start, active, stop, end, fault); the CLI prints them. */
  onLog?: (message: string) => void;
}

/**
 * A stand-in for LiveKit's egress service: the Twirp Egress API (`StartTrackCompositeEgress`,
 * `StopEgress`, `ListEgress`) over real HTTP, an ffmpeg-backed HLS writer that lays out segments
 * and playlists like LiveKit's egress, signed webhooks, and fault knobs.
 */
export class EgressEmulator {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** Runtime fault knobs. */
  readonly faults: EmulatorFaults;
  /** Participants publishing/unpublishing screen shares, with the matching signed room webhooks. */
  readonly rooms: EmulatedRooms;
  private server: TwirpServer | undefined;
  private readonly lifecycle: EgressLifecycle;
  private readonly roomIds = new Map<string, string>();
  private readonly webhooks: WebhookSender;
  private webhookUrl: string | undefined;
  private historyDefault: number;
  private readonly historyByRoom = new Map<string, number>();
  private segmentsRoot = '';
  private ownsRoot = false;
  private stagingRoot = '';
  private closed = false;
  private readonly ffmpegPath: string;

  private constructor(private readonly options: EgressEmulatorOptions) {
    this.apiKey = options.apiKey ?? 'devkey';
    this.apiSecret = options.apiSecret ?? 'secret-secret-secret-secret-secret';
    this.webhookUrl = options.webhookUrl;
    this.historyDefault = options.historySeconds ?? 0;
    this.ffmpegPath = options.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
    this.faults = new EmulatorFaults({
      fail: (id, error) => this.lifecycle.fail(id, error),
      limitReached: (id) => this.lifecycle.limitReached(id),
      forget: (id) => this.lifecycle.forget(id),
      stall: (id) => this.lifecycle.require(id).process.stall(),
      resume: (id) => this.lifecycle.require(id).process.resume(),
    });
    this.rooms = new EmulatedRooms({
      apiKey: this.apiKey,
      apiSecret: this.apiSecret,
      url: () => this.webhookUrl,
    });
    this.webhooks = new WebhookSender({
      apiKey: this.apiKey,
      apiSecret: this.apiSecret,
      url: () => this.webhookUrl,
      faults: this.faults,
      timeoutMs: options.webhookTimeoutMs,
    });
    this.lifecycle = new EgressLifecycle({
      webhooks: this.webhooks,
      isClosed: () => this.closed,
      onLog: options.onLog,
    });
  }

  private get records(): Map<string, EgressRecord> {
    return this.lifecycle.records;
  }

  /** @internal use `startEgressEmulator`. */
  static async start(options: EgressEmulatorOptions = {}): Promise<EgressEmulator> {
    const emu = new EgressEmulator(options);
    try {
      if (options.segmentsRoot) {
        emu.segmentsRoot = options.segmentsRoot;
        await mkdir(emu.segmentsRoot, { recursive: true });
      } else {
        emu.segmentsRoot = await mkdtemp(join(tmpdir(), 'livekit-replay-egress-'));
        emu.ownsRoot = true;
      }
      emu.stagingRoot = await mkdtemp(join(tmpdir(), 'livekit-replay-egress-staging-'));
      emu.server = await startTwirpServer({
        host: options.host ?? '127.0.0.1',
        port: options.port ?? 0,
        apiKey: emu.apiKey,
        apiSecret: emu.apiSecret,
        handlers: {
          StartTrackCompositeEgress: (body) => emu.handleStart(body),
          StopEgress: (body) => emu.handleStop(body),
          ListEgress: (body) => emu.handleList(body),
        },
      });
      return emu;
    } catch (err) {
      await emu.close();
      throw err;
    }
  }

  /** Base URL for `new EgressClient(url, apiKey, apiSecret)`. */
  get url(): string {
    if (!this.server) throw new Error('egress emulator is not running');
    return this.server.url;
  }

  /** Root that relative segment paths resolve against. */
  get root(): string {
    return this.segmentsRoot;
  }

  /** Everything webhooks-related that was produced, in emission order. */
  get webhookLog(): readonly WebhookLogEntry[] {
    return this.webhooks.log;
  }

  setWebhookUrl(url: string | undefined): void {
    this.webhookUrl = url;
  }

  /**
   * History for egresses started from now on: for one room, or (without `roomName`) the
   * default. `undefined` clears a room's override.
   */
  setHistorySeconds(seconds: number | undefined, roomName?: string): void {
    if (roomName === undefined) this.historyDefault = seconds ?? 0;
    else if (seconds === undefined) this.historyByRoom.delete(roomName);
    else this.historyByRoom.set(roomName, seconds);
  }

  egresses(): EmulatedEgress[] {
    return [...this.records.values()].map((r) => snapshot(r));
  }

  getEgress(egressId: string): EmulatedEgress | undefined {
    const r = this.records.get(egressId);
    return r ? snapshot(r) : undefined;
  }

  /** pids of every ffmpeg child still running. */
  childPids(): number[] {
    return [...this.records.values()]
      .filter((r) => r.process.isRunning)
      .map((r) => r.process.pid)
      .filter((p): p is number => p !== undefined);
  }

  /**
   * Resolves with the finished segments once at least `count` exist. Rejects when the egress
   * ends with fewer, or after `timeoutMs` (default 60 s).
   */
  async waitForSegments(
    egressId: string,
    count: number,
    options: { timeoutMs?: number } = {},
  ): Promise<SegmentRecord[]> {
    return waitForSegmentCount(this.lifecycle.require(egressId), count, options.timeoutMs ?? 60_000);
  }

  /**
   * S3 output: holds the upload of segment `index` half-way (multipart upload created, part
   * uploaded, not completed) until `release()`, like a slow upload on a real egress.
   */
  holdSegmentUpload(egressId: string, index: number): HeldUpload {
    const r = this.lifecycle.require(egressId);
    if (!r.uploader) throw new Error(`egress ${egressId} has no S3 output`);
    return r.uploader.hold(index);
  }

  /** Resolves once the egress has reached a final status (COMPLETE, FAILED, …). */
  async waitForEnd(egressId: string): Promise<EmulatedEgress> {
    const r = this.lifecycle.require(egressId);
    await r.done;
    return snapshot(r);
  }

  /** Waits until every scheduled webhook delivery (delayed/held included) has been attempted. */
  flushWebhooks(): Promise<void> {
    return this.webhooks.flush();
  }

  /** Stops like `StopEgress` (without HTTP) and waits for the end. */
  async stopEgress(egressId: string): Promise<EmulatedEgress> {
    await this.handleStop({ egressId });
    return this.waitForEnd(egressId);
  }

  /**
   * Shuts down: kills every ffmpeg child, closes the HTTP server, removes staging files and,
   * when the emulator created it, the segments root. Playlists are left as they were (like a
   * host that died); egresses get no further webhooks.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.records.values()].map((r) => r.process.dispose().catch(() => {})));
    for (const r of this.records.values()) r.uploader?.dispose();
    for (const r of this.records.values()) r.settle();
    await Promise.race([this.webhooks.close(), new Promise((res) => setTimeout(res, 2000).unref())]);
    await this.server?.close();
    if (this.stagingRoot) await rm(this.stagingRoot, { recursive: true, force: true });
    if (this.ownsRoot && this.segmentsRoot) await rm(this.segmentsRoot, { recursive: true, force: true });
  }

  // ---- Twirp handlers ----

  private async handleStart(body: unknown): Promise<unknown> {
    const refusal = this.faults.takeStartRefusal();
    if (refusal) throw new TwirpError('unavailable', refusal);
    const start = parseStartRequest(body, this.options.cloud);
    const { req, s3 } = start;
    if (this.closed) throw new TwirpError('unavailable', 'egress emulator is shutting down');

    const now = Date.now();
    const egressId = livekitId('EG_');
    const historySeconds = Math.max(0, this.historyByRoom.get(req.roomName) ?? this.historyDefault);
    const originMs = now - Math.round(historySeconds * 1000);
    const { layout, keyOf, report } = planOutput(start, {
      egressId,
      segmentsRoot: this.segmentsRoot,
      stagingRoot: this.stagingRoot,
      now,
    });
    const encoding = resolveEncoding(req, {
      maxFrameRate: this.options.maxFrameRate,
      maxHeight: this.options.maxHeight,
    });
    let roomId = this.roomIds.get(req.roomName);
    if (!roomId) {
      roomId = livekitId('RM_');
      this.roomIds.set(req.roomName, roomId);
    }
    const info = new EgressInfo({
      egressId,
      roomId,
      roomName: req.roomName,
      sourceType: EgressSourceType.SDK,
      status: EgressStatus.EGRESS_STARTING,
      updatedAt: nsFromMs(now),
      request: { case: 'trackComposite', value: req },
    });
    let settle = () => {};
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const record: EgressRecord = {
      info,
      layout,
      encoding,
      originMs,
      historySeconds,
      reportedPlaylist: report(layout.playlistPath),
      reportedLivePlaylist: layout.livePlaylistPath ? report(layout.livePlaylistPath) : '',
      waiters: new Set(),
      done,
      settle,
      process: new EgressProcess({
        ffmpegPath: this.ffmpegPath,
        layout,
        encoding,
        originMs,
        historySeconds,
        stagingDir: join(this.stagingRoot, egressId),
        playlistLag: () => this.faults.playlistLag(egressId),
        onSegment: (segment) => {
          if (record.uploader) record.uploader.add(segment);
          else this.lifecycle.onSegment(record);
        },
        onCrash: (message) => void this.lifecycle.fail(egressId, message).catch(() => {}),
      }),
    };
    if (s3) {
      record.s3Keys = {
        playlistKey: keyOf(layout.playlistPath),
        livePlaylistKey: layout.livePlaylistPath ? keyOf(layout.livePlaylistPath) : undefined,
      };
      record.uploader = new S3SegmentUploader({
        upload: s3,
        playlistKey: record.s3Keys.playlistKey,
        livePlaylistKey: record.s3Keys.livePlaylistKey,
        manifestKey: keyOf(join(layout.dir, `${egressId}.json`)),
        segmentKey: (name) => keyOf(join(layout.dir, name)),
        segmentSeconds: layout.segmentSeconds,
        startedAtMs: originMs,
        playlistLag: () => this.faults.playlistLag(egressId),
        onUploaded: () => this.lifecycle.onSegment(record),
        onError: (message) => void this.lifecycle.fail(egressId, message).catch(() => {}),
      });
    }
    if (req.output.case === 'segments') info.result = { case: 'segments', value: segmentsInfo(record) };
    info.segmentResults = [segmentsInfo(record)];
    this.records.set(egressId, record);
    try {
      await record.process.start();
    } catch (err) {
      this.records.delete(egressId);
      await record.process.dispose().catch(() => {});
      throw new TwirpError('internal', `could not start the egress: ${(err as Error).message}`);
    }
    const response = info.clone();
    this.lifecycle.log(
      `${egressId} started for room "${req.roomName}": ${encoding.width}x${encoding.height}@${encoding.fps} ` +
        `${layout.segmentSeconds}s segments in ${layout.dir}` +
        (historySeconds > 0 ? ` (with ${historySeconds}s of history)` : ''),
    );
    this.lifecycle.emit('egress_started', record);
    return response.toJson({ useProtoFieldName: true, emitDefaultValues: true });
  }

  private async handleStop(body: unknown): Promise<unknown> {
    const req = StopEgressRequest.fromJson(body as never, { ignoreUnknownFields: true });
    const r = this.records.get(req.egressId);
    if (!r) throw new TwirpError('not_found', 'egress does not exist');
    if (r.info.status !== EgressStatus.EGRESS_STARTING && r.info.status !== EgressStatus.EGRESS_ACTIVE) {
      throw new TwirpError('failed_precondition', 'egress not active');
    }
    const response = this.lifecycle.endGracefully(r, EgressStatus.EGRESS_COMPLETE);
    return response.toJson({ useProtoFieldName: true, emitDefaultValues: true });
  }

  private async handleList(body: unknown): Promise<unknown> {
    const req = ListEgressRequest.fromJson(body as never, { ignoreUnknownFields: true });
    const items: EgressInfo[] = [];
    for (const r of this.records.values()) {
      if (req.roomName && r.info.roomName !== req.roomName) continue;
      if (req.egressId && r.info.egressId !== req.egressId) continue;
      if (req.active && !ACTIVE_STATUSES.has(r.info.status)) continue;
      if (this.faults.takeHidden(r.info.egressId)) continue;
      items.push(r.info.clone());
    }
    return new ListEgressResponse({ items }).toJson({ useProtoFieldName: true, emitDefaultValues: true });
  }
}

/** Starts an egress emulator listening on 127.0.0.1. Always `close()` it. */
export function startEgressEmulator(options: EgressEmulatorOptions = {}): Promise<EgressEmulator> {
  return EgressEmulator.start(options);
}
