import type { ChildProcess } from 'node:child_process';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentedFileSuffix } from '@livekit/protocol';
import { startMedia } from '@livekit-replay/core/adapter';
import type { ResolvedEncoding } from './encoding.js';
import { boundaryFrame, buildFfmpegArgs } from './ffmpeg-args.js';
import { renderPlaylist, writeFileAtomic } from './playlist-writer.js';
import { timestampSuffix } from './util.js';

/** Where and how one segmented output is written (resolved from `SegmentedFileOutput`). */
export interface SegmentLayout {
  /** Absolute directory holding segments and playlists. */
  dir: string;
  /** File name prefix (the last path component of `filenamePrefix`). */
  prefix: string;
  suffix: SegmentedFileSuffix;
  segmentSeconds: number;
  /** Absolute path of the main playlist. */
  playlistPath: string;
  /** Absolute path of the live (sliding window) playlist, if requested. */
  livePlaylistPath: string | undefined;
}

/** One finished segment, as listed in the playlists. */
export interface SegmentRecord {
  index: number;
  /** File name inside `layout.dir`. */
  name: string;
  path: string;
  startFrame: number;
  frameCount: number;
  /** Wall-clock ms of the first frame (= its frame stamp); the PROGRAM-DATE-TIME. */
  pdtMs: number;
  /** Real duration (frames / fps) in seconds; the EXTINF. */
  durationS: number;
  size: number;
  /** When the segment was complete on disk (epoch ms). */
  completedAt: number;
}

export interface EgressProcessOptions {
  ffmpegPath: string;
  layout: SegmentLayout;
  encoding: ResolvedEncoding;
  originMs: number;
  historySeconds: number;
  /** Private scratch directory for ffmpeg's own segment files. */
  stagingDir: string;
  /** Segments the main playlist lags behind (fault knob), read on every rewrite. */
  playlistLag: () => number;
  onSegment: (segment: SegmentRecord) => void;
  /** Called once when ffmpeg exits without being asked to (crash). */
  onCrash: (message: string) => void;
  /** Poll interval of the byte copier. */
  pollMs?: number;
}

const LIVE_WINDOW = 5;

interface OpenSegment {
  input: FileHandle;
  output: FileHandle;
  offset: number;
  name: string;
  path: string;
}

/**
 * One egress's media: an ffmpeg child writes segments into a private staging directory; this
 * class copies their bytes, as they grow, into the final LiveKit-style names (so a segment is
 * visible, partial, while it is being written, as on a real egress host), and when ffmpeg closes
 * a segment it rewrites the playlists atomically.
 */
export class EgressProcess {
  readonly segments: SegmentRecord[] = [];
  private child: ChildProcess | undefined;
  private readonly open = new Map<number, OpenSegment>();
  private readonly muxerClosed = new Set<number>();
  private nextOpen = 0;
  private nextComplete = 0;
  private totalFrames = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private exited: Promise<void> = Promise.resolve();
  private exitedFlag = false;
  private expectExit = false;
  private stalled = false;
  private ended = false;
  private stderrTail = '';
  private readonly framesPerSegment: number;
  private readonly copyBuffer = Buffer.allocUnsafe(1 << 20);

  constructor(private readonly options: EgressProcessOptions) {
    this.framesPerSegment = options.layout.segmentSeconds * options.encoding.fps;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined && !this.exitedFlag;
  }

  async start(): Promise<void> {
    const { options } = this;
    await mkdir(options.layout.dir, { recursive: true });
    await mkdir(options.stagingDir, { recursive: true });
    const args = buildFfmpegArgs({
      encoding: options.encoding,
      originMs: options.originMs,
      historySeconds: options.historySeconds,
      segmentSeconds: options.layout.segmentSeconds,
      stagingPattern: join(options.stagingDir, 'seg_%09d.ts'),
    });
    let csv = '';
    const onList = (chunk: Buffer) => {
      csv += chunk.toString();
      let nl = csv.indexOf('\n');
      while (nl >= 0) {
        const line = csv.slice(0, nl).trim();
        csv = csv.slice(nl + 1);
        const m = /seg_(\d+)\.ts,/.exec(line);
        if (m?.[1]) this.muxerClosed.add(Number(m[1]));
        nl = csv.indexOf('\n');
      }
    };
    // Through core's process runner (no timeout: a recorder runs until stopped).
    const handle = startMedia({
      binary: options.ffmpegPath,
      args,
      stdin: 'pipe',
      timeoutMs: Number.POSITIVE_INFINITY,
      stdout: (stream) =>
        new Promise<void>((resolve) => {
          stream.on('data', onList);
          stream.once('close', resolve);
        }),
      onProgress: (p) => {
        if (p.frame !== null) this.totalFrames = p.frame;
      },
    });
    handle.done.catch(() => undefined);
    const child = handle.child;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('close', () => resolve());
      child.once('error', () => resolve());
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    child.stdin?.on('error', () => {});
    child.once('error', (err) => {
      this.exitedFlag = true;
      if (!this.expectExit) options.onCrash(`could not run ffmpeg (${options.ffmpegPath}): ${err.message}`);
    });
    child.once('exit', (code, signal) => {
      this.exitedFlag = true;
      if (!this.expectExit) {
        options.onCrash(
          `ffmpeg exited unexpectedly (code ${code}, signal ${signal}): ${this.stderrTail.trim() || 'no output'}`,
        );
      }
    });
    this.timer = setInterval(() => void this.tick(), options.pollMs ?? 100);
  }

  /** Stops writing segments (the process is paused) while the egress stays ACTIVE. */
  stall(): void {
    if (this.stalled || !this.isRunning) return;
    this.stalled = true;
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    if (!this.stalled) return;
    this.stalled = false;
    if (this.isRunning) this.child?.kill('SIGCONT');
  }

  get isStalled(): boolean {
    return this.stalled;
  }

  /** Graceful end: ffmpeg finishes the current segment, playlists get `#EXT-X-ENDLIST`. */
  async stop(): Promise<void> {
    this.expectExit = true;
    this.resume();
    if (this.isRunning) {
      this.child?.stdin?.end('q');
      const graceful = await Promise.race([this.exited.then(() => true), sleepMs(8000).then(() => false)]);
      if (!graceful) {
        this.child?.kill('SIGKILL');
        await this.exited;
      }
    }
    await this.finish(true);
  }

  /**
   * Abrupt end (failure): ffmpeg is killed; the segment in progress stays on disk partially
   * written and unlisted; the playlists keep the finished segments and are closed with ENDLIST.
   */
  async fail(): Promise<void> {
    await this.kill();
    await this.finish(true);
  }

  /** Kills ffmpeg and releases everything without touching the playlists (host death). */
  async dispose(): Promise<void> {
    await this.kill();
    await this.finish(false);
  }

  private async kill(): Promise<void> {
    this.expectExit = true;
    if (this.isRunning) {
      if (this.stalled) this.child?.kill('SIGCONT');
      this.child?.kill('SIGKILL');
    }
    this.stalled = false;
    await this.exited;
  }

  private async finish(writeEnd: boolean): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.ticking) await this.ticking;
    if (!this.ended) {
      this.ended = true;
      try {
        await this.step(true);
      } finally {
        for (const seg of this.open.values()) {
          await seg.input.close().catch(() => {});
          await seg.output.close().catch(() => {});
        }
        this.open.clear();
        await rm(this.options.stagingDir, { recursive: true, force: true });
      }
      if (writeEnd) await this.writePlaylists(true);
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.ended) return;
    this.ticking = this.step(false)
      .catch((err: unknown) => {
        // A write error (e.g. the output directory was deleted) fails the egress, as a
        // filesink error does on a real egress.
        if (!this.ended && !this.expectExit) {
          this.expectExit = true;
          this.options.onCrash(`could not write segments: ${(err as Error).message}`);
        }
      })
      .finally(() => {
        this.ticking = undefined;
      });
    await this.ticking;
  }

  private segmentName(index: number): { name: string; startFrame: number; pdtMs: number } {
    const { layout, encoding, originMs } = this.options;
    const startFrame = boundaryFrame(index, this.framesPerSegment);
    const pdtMs = Math.floor(originMs + (startFrame * 1000) / encoding.fps);
    const suffix =
      layout.suffix === SegmentedFileSuffix.TIMESTAMP
        ? timestampSuffix(pdtMs)
        : String(index).padStart(5, '0');
    return { name: `${layout.prefix}_${suffix}.ts`, startFrame, pdtMs };
  }

  /** One pass: open new segments, copy new bytes, finish segments ffmpeg has closed. */
  private async step(final: boolean): Promise<void> {
    const { stagingDir, layout } = this.options;
    for (;;) {
      let input: FileHandle;
      try {
        input = await open(join(stagingDir, `seg_${String(this.nextOpen).padStart(9, '0')}.ts`), 'r');
      } catch {
        break;
      }
      const { name } = this.segmentName(this.nextOpen);
      const path = join(layout.dir, name);
      let output: FileHandle;
      try {
        output = await open(path, 'w');
      } catch (err) {
        await input.close();
        throw err;
      }
      this.open.set(this.nextOpen, { input, output, offset: 0, name, path });
      this.nextOpen++;
    }
    for (const seg of this.open.values()) await copyNewBytes(seg, this.copyBuffer);
    // A closed segment is final once the next one has started (its length is then known) or ffmpeg is gone.
    while (
      this.muxerClosed.has(this.nextComplete) &&
      (this.open.has(this.nextComplete + 1) || (final && this.exitedFlag))
    ) {
      const index = this.nextComplete;
      const seg = this.open.get(index);
      if (!seg) break;
      await copyNewBytes(seg, this.copyBuffer);
      await seg.input.close();
      await seg.output.close();
      this.open.delete(index);
      await rm(join(stagingDir, `seg_${String(index).padStart(9, '0')}.ts`), { force: true });
      const { startFrame, pdtMs } = this.segmentName(index);
      const endFrame = this.open.has(index + 1)
        ? boundaryFrame(index + 1, this.framesPerSegment)
        : Math.max(this.totalFrames, startFrame + 1);
      const record: SegmentRecord = {
        index,
        name: seg.name,
        path: seg.path,
        startFrame,
        frameCount: endFrame - startFrame,
        pdtMs,
        durationS: (endFrame - startFrame) / this.options.encoding.fps,
        size: seg.offset,
        completedAt: Date.now(),
      };
      this.segments.push(record);
      this.nextComplete++;
      await this.writePlaylists(false);
      this.options.onSegment(record);
    }
  }

  private async writePlaylists(ended: boolean): Promise<void> {
    const { layout } = this.options;
    const entries = this.segments.map((s) => ({ name: s.name, pdtMs: s.pdtMs, durationS: s.durationS }));
    const lag = ended ? 0 : Math.max(0, Math.floor(this.options.playlistLag()));
    const mainEntries = lag > 0 ? entries.slice(0, Math.max(0, entries.length - lag)) : entries;
    if (mainEntries.length > 0 || ended) {
      await writeFileAtomic(
        layout.playlistPath,
        renderPlaylist(mainEntries, {
          targetDuration: layout.segmentSeconds,
          mediaSequence: 0,
          event: true,
          ended,
        }),
      );
    }
    if (layout.livePlaylistPath && (entries.length > 0 || ended)) {
      const first = Math.max(0, entries.length - LIVE_WINDOW);
      await writeFileAtomic(
        layout.livePlaylistPath,
        renderPlaylist(entries.slice(first), {
          targetDuration: layout.segmentSeconds,
          mediaSequence: first,
          event: false,
          ended,
        }),
      );
    }
  }
}

async function copyNewBytes(seg: OpenSegment, buf: Buffer): Promise<void> {
  for (;;) {
    const { bytesRead } = await seg.input.read(buf, 0, buf.length, seg.offset);
    if (bytesRead === 0) return;
    await seg.output.write(buf, 0, bytesRead, seg.offset);
    seg.offset += bytesRead;
  }
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
