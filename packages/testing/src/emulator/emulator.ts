import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  EgressInfo,
  EgressSourceType,
  EgressStatus,
  ListEgressRequest,
  ListEgressResponse,
  SegmentsInfo,
  StopEgressRequest,
  TrackCompositeEgressRequest,
} from '@livekit/protocol';
import { EgressProcess, type SegmentLayout, type SegmentRecord } from './egress-process.js';
import { type ResolvedEncoding, resolveEncoding } from './encoding.js';
import { EmulatorFaults } from './faults.js';
import { resolveSegmentLayout } from './layout.js';
import { EmulatedRooms } from './room-events.js';
import { startTwirpServer, type TwirpServer } from './server.js';
import { TwirpError } from './twirp-error.js';
import { livekitId, nsFromMs } from './util.js';
import { type EgressWebhookName, type WebhookLogEntry, WebhookSender } from './webhooks.js';

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
  /** Receives one line per lifecycle step (start, active, stop, end, fault); the CLI prints them. */
  onLog?: (message: string) => void;
}

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
}

interface EgressRecord {
  info: EgressInfo;
  layout: SegmentLayout;
  encoding: ResolvedEncoding;
  originMs: number;
  historySeconds: number;
  process: EgressProcess;
  /** Playlist/segment paths as LiveKit reports them (relative to the root when inside it). */
  reportedPlaylist: string;
  reportedLivePlaylist: string;
  waiters: Set<() => void>;
  done: Promise<void>;
  settle: () => void;
}

const ACTIVE_STATUSES = new Set([
  EgressStatus.EGRESS_STARTING,
  EgressStatus.EGRESS_ACTIVE,
  EgressStatus.EGRESS_ENDING,
]);

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
  private readonly records = new Map<string, EgressRecord>();
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
      fail: (id, error) => this.failEgress(id, error),
      limitReached: (id) => this.limitReached(id),
      forget: (id) => this.forgetEgress(id),
      stall: (id) => this.requireRecord(id).process.stall(),
      resume: (id) => this.requireRecord(id).process.resume(),
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
    return [...this.records.values()].map((r) => this.snapshot(r));
  }

  getEgress(egressId: string): EmulatedEgress | undefined {
    const r = this.records.get(egressId);
    return r ? this.snapshot(r) : undefined;
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
    const r = this.requireRecord(egressId);
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        if (r.process.segments.length >= count) {
          cleanup();
          resolve([...r.process.segments]);
        } else if (!ACTIVE_STATUSES.has(r.info.status)) {
          cleanup();
          reject(
            new Error(
              `egress ${egressId} ended (${EgressStatus[r.info.status]}) with ${r.process.segments.length} of ${count} segments`,
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
            `timed out after ${timeoutMs} ms waiting for ${count} segments of ${egressId} (have ${r.process.segments.length})`,
          ),
        );
      }, timeoutMs);
      r.waiters.add(check);
      check();
    });
  }

  /** Resolves once the egress has reached a final status (COMPLETE, FAILED, …). */
  async waitForEnd(egressId: string): Promise<EmulatedEgress> {
    const r = this.requireRecord(egressId);
    await r.done;
    return this.snapshot(r);
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
    let req: TrackCompositeEgressRequest;
    try {
      req = TrackCompositeEgressRequest.fromJson(body as never, { ignoreUnknownFields: true });
    } catch (err) {
      throw new TwirpError('malformed', `could not parse request: ${(err as Error).message}`);
    }
    if (!req.roomName) throw new TwirpError('invalid_argument', 'room name is required');
    if (!req.audioTrackId && !req.videoTrackId)
      throw new TwirpError('invalid_argument', 'no tracks requested');
    const segmentsOutput = req.output.case === 'segments' ? req.output.value : req.segmentOutputs[0];
    if (!segmentsOutput || req.segmentOutputs.length > 1) {
      throw new TwirpError(
        'invalid_argument',
        'the egress emulator supports exactly one segmented file output (segments / segmentOutputs)',
      );
    }
    if (
      req.fileOutputs.length ||
      req.streamOutputs.length ||
      req.imageOutputs.length ||
      req.output.case === 'file' ||
      req.output.case === 'stream'
    ) {
      throw new TwirpError('unimplemented', 'the egress emulator only writes segmented (HLS) output');
    }
    if (segmentsOutput.output.case !== undefined) {
      throw new TwirpError(
        'unimplemented',
        'the egress emulator writes segments to local disk only (no upload config)',
      );
    }
    if (this.closed) throw new TwirpError('unavailable', 'egress emulator is shutting down');

    const now = Date.now();
    const egressId = livekitId('EG_');
    const historySeconds = Math.max(0, this.historyByRoom.get(req.roomName) ?? this.historyDefault);
    const originMs = now - Math.round(historySeconds * 1000);
    const layout = resolveSegmentLayout(segmentsOutput, this.segmentsRoot, req.roomName, now);
    const encoding = resolveEncoding(req, {
      maxFrameRate: this.options.maxFrameRate,
      maxHeight: this.options.maxHeight,
    });
    const report = (p: string) => {
      const rel = relative(this.segmentsRoot, p);
      return rel.startsWith('..') ? p : rel;
    };
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
        onSegment: () => this.onSegment(record),
        onCrash: (message) => void this.failEgress(egressId, message).catch(() => {}),
      }),
    };
    if (req.output.case === 'segments') info.result = { case: 'segments', value: this.segmentsInfo(record) };
    info.segmentResults = [this.segmentsInfo(record)];
    this.records.set(egressId, record);
    try {
      await record.process.start();
    } catch (err) {
      this.records.delete(egressId);
      await record.process.dispose().catch(() => {});
      throw new TwirpError('internal', `could not start the egress: ${(err as Error).message}`);
    }
    const response = info.clone();
    this.log(
      `${egressId} started for room "${req.roomName}": ${encoding.width}x${encoding.height}@${encoding.fps} ` +
        `${layout.segmentSeconds}s segments in ${layout.dir}` +
        (historySeconds > 0 ? ` (with ${historySeconds}s of history)` : ''),
    );
    this.emit('egress_started', record);
    return response.toJson({ useProtoFieldName: true, emitDefaultValues: true });
  }

  private async handleStop(body: unknown): Promise<unknown> {
    const req = StopEgressRequest.fromJson(body as never, { ignoreUnknownFields: true });
    const r = this.records.get(req.egressId);
    if (!r) throw new TwirpError('not_found', 'egress does not exist');
    if (r.info.status !== EgressStatus.EGRESS_STARTING && r.info.status !== EgressStatus.EGRESS_ACTIVE) {
      throw new TwirpError('failed_precondition', 'egress not active');
    }
    const response = this.endGracefully(r, EgressStatus.EGRESS_COMPLETE);
    return response.toJson({ useProtoFieldName: true, emitDefaultValues: true });
  }

  /**
   * ENDING now (answered to StopEgress, `egress_updated`), then ffmpeg finishes the segment in
   * progress, playlists get ENDLIST, and the egress ends with `status` (`egress_ended`).
   */
  private endGracefully(r: EgressRecord, status: EgressStatus, error?: string): EgressInfo {
    this.setStatus(r, EgressStatus.EGRESS_ENDING);
    this.log(`${r.info.egressId} stopping`);
    const snapshot = r.info.clone();
    this.emit('egress_updated', r);
    void (async () => {
      try {
        await r.process.stop();
        this.finishRecord(r, status, error);
      } catch (err) {
        this.finishRecord(
          r,
          EgressStatus.EGRESS_FAILED,
          `could not finish the egress: ${(err as Error).message}`,
        );
      }
    })();
    return snapshot;
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

  // ---- lifecycle ----

  private onSegment(r: EgressRecord): void {
    this.refreshResults(r);
    if (r.info.status === EgressStatus.EGRESS_STARTING) {
      r.info.startedAt = nsFromMs(r.originMs);
      this.setStatus(r, EgressStatus.EGRESS_ACTIVE);
      this.log(`${r.info.egressId} active (first segment written)`);
      this.emit('egress_updated', r);
    }
    for (const w of [...r.waiters]) w();
  }

  private async limitReached(egressId: string): Promise<void> {
    const r = this.requireRecord(egressId);
    if (r.info.status !== EgressStatus.EGRESS_STARTING && r.info.status !== EgressStatus.EGRESS_ACTIVE)
      return;
    this.endGracefully(r, EgressStatus.EGRESS_LIMIT_REACHED, 'egress duration limit reached');
    await r.done;
  }

  /** LiveKit lost the egress (host died, state gone): ffmpeg killed, no webhook, unknown to the API. */
  private async forgetEgress(egressId: string): Promise<void> {
    const r = this.requireRecord(egressId);
    this.records.delete(egressId);
    this.log(`${egressId} forgotten (simulated egress host loss)`);
    await r.process.dispose();
    if (ACTIVE_STATUSES.has(r.info.status)) r.info.status = EgressStatus.EGRESS_ABORTED;
    r.settle();
    for (const w of [...r.waiters]) w();
  }

  private async failEgress(egressId: string, error: string): Promise<void> {
    const r = this.requireRecord(egressId);
    if (!ACTIVE_STATUSES.has(r.info.status)) return;
    r.info.error = error;
    this.setStatus(r, EgressStatus.EGRESS_FAILED);
    try {
      await r.process.fail();
    } finally {
      this.finishRecord(r, EgressStatus.EGRESS_FAILED, error);
    }
  }

  private finishRecord(r: EgressRecord, status: EgressStatus, error?: string): void {
    if (r.info.endedAt !== 0n) return;
    const now = Date.now();
    if (error) r.info.error = error;
    this.refreshResults(r);
    r.info.endedAt = nsFromMs(now);
    this.setStatus(r, status);
    this.log(
      `${r.info.egressId} ended: ${EgressStatus[status]}, ${r.process.segments.length} segments` +
        (error ? ` (${error})` : ''),
    );
    if (!this.closed) this.emit('egress_ended', r);
    r.settle();
    for (const w of [...r.waiters]) w();
  }

  private setStatus(r: EgressRecord, status: EgressStatus): void {
    r.info.status = status;
    r.info.updatedAt = nsFromMs(Date.now());
  }

  private segmentsInfo(r: EgressRecord): SegmentsInfo {
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

  private refreshResults(r: EgressRecord): void {
    const info = this.segmentsInfo(r);
    r.info.segmentResults = [info];
    if (r.info.result.case === 'segments') r.info.result = { case: 'segments', value: info.clone() };
  }

  private emit(event: EgressWebhookName, r: EgressRecord): void {
    this.webhooks.emit(event, r.info);
  }

  private log(message: string): void {
    this.options.onLog?.(message);
  }

  private requireRecord(egressId: string): EgressRecord {
    const r = this.records.get(egressId);
    if (!r) throw new Error(`unknown egress ${egressId}`);
    return r;
  }

  private snapshot(r: EgressRecord): EmulatedEgress {
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
    };
  }
}

/** Starts an egress emulator listening on 127.0.0.1. Always `close()` it. */
export function startEgressEmulator(options: EgressEmulatorOptions = {}): Promise<EgressEmulator> {
  return EgressEmulator.start(options);
}
