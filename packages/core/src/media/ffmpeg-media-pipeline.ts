import { mkdir, mkdtemp, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { CutRequest, CutResult, MediaPipeline, MediaProbe } from '../ports/media-pipeline.js';
import { DEFAULT_GAP_TOLERANCE_MS } from '../segments/segment-index.js';
import { createSegmentProber, type SegmentProbe, type SegmentProber } from '../segments/segment-probe.js';
import type { Segment } from '../segments/types.js';
import { ProcessFailure, resolveFfmpegPath, resolveFfprobePath, runForText } from './binaries.js';
import { type CachedFragment, FragmentCache, remuxToFragments } from './fragment-cache.js';
import {
  assertSameDecoderConfig,
  type ClipPart,
  DecoderConfigMismatchError,
  FragmentCacheColdError,
  startsWithVideo,
  type WrittenClip,
  writeFragmentClip,
} from './fragment-clip-writer.js';
import { type FfprobeJson, ffprobeJson, sha256File, toMediaProbe } from './probe.js';
import { runFfmpeg } from './run-ffmpeg.js';

export interface FfmpegMediaPipelineOptions {
  /** ffmpeg binary; else FFMPEG_PATH; else `ffmpeg` on PATH. */
  ffmpegPath?: string;
  /** ffprobe binary; else FFPROBE_PATH; else `ffprobe` on PATH. */
  ffprobePath?: string;
  /**
   * x264 preset for the re-encoded head (default `superfast`: CABAC and one reference frame
   * like LiveKit's `veryfast`, so the parameter sets match closely, at about half the CPU).
   */
  encoderPreset?: string;
  /** Segment prober (frame and keyframe times); defaults to a cached ffprobe prober. */
  prober?: SegmentProber;
  /**
   * Turns on the fragment cut: each segment is remuxed once to fragmented MP4 and cached in
   * this directory (absolute; owned by the cache), and a save joins cached fragments instead
   * of remuxing the whole range. Off by default. Cuts it cannot do (gaps, B-frames, parts
   * that do not fit one moov) fall back to the full remux.
   */
  fragmentCacheDir?: string;
  /** A FragmentCache to use instead of one made from `fragmentCacheDir` (e.g. shared or observed). */
  fragmentCache?: FragmentCache;
  /**
   * A fragment cut remuxes at most this many uncached segments on the spot (default 3); with
   * more, the cache is cold for that range (remuxing segment by segment costs ~10× one remux
   * of the range), so the cut uses the full remux and caches the range in the background.
   */
  fragmentMaxColdSegments?: number;
}

/** How often at most a fragment cut starts a background sweep of the fragment cache. */
const FRAGMENT_SWEEP_INTERVAL_MS = 60_000;

/** Frames closer than this (seconds) to a bound count as on it (PROGRAM-DATE-TIME has ms). */
const EPS = 0.0005;

interface SourceInfo {
  video: NonNullable<FfprobeJson['streams']>[number];
  audio: NonNullable<FfprobeJson['streams']>[number] | null;
  programNumber: number | null;
  pmtPid: number | null;
}

/** One stretch of segments without holes, and what to take from it. */
interface RunPlan {
  segments: Segment[];
  /** Wall clock of `segments[0]` and its first video PTS: the wall ↔ stream mapping. */
  anchorWallMs: number;
  anchorPts: number;
  /** First and last output frames (stream clock) and the exclusive end bound. */
  firstPts: number;
  lastPts: number;
  endPts: number;
  frameDuration: number;
  /** Re-encode [firstPts, headEndPts) from `headInputs`; the rest is stream-copied. */
  head: { inputs: Segment[]; untilEnd: boolean } | null;
  /** Segments stream-copied after the head (or from firstPts when there is no head). */
  copy: Segment[];
}

const segmentEndMs = (s: Segment) => s.startMs + s.durationSeconds * 1000;

/**
 * MediaPipeline on ffmpeg/ffprobe (through fluent-ffmpeg).
 *
 * Cutting joins MPEG-TS segments by byte concatenation (`concat:` protocol), never with the
 * concat demuxer's guessed durations, and maps wall clock to stream time with the first
 * segment's PROGRAM-DATE-TIME and first PTS. `accurate` re-encodes only the frames from the
 * start to the end of the first segment (LiveKit cuts segments on keyframes) with the
 * source's profile, level, size and pixel format, stream-copies the rest, and cuts the end
 * on a frame boundary by stream copy (exact when the source has no B-frames; with B-frames
 * the whole range is re-encoded instead). Audio is stream-copied and cut at AAC-frame
 * granularity with the original timestamps, so A/V sync is kept. Gaps are left out: the
 * stretches either side are joined with the concat demuxer with explicit durations.
 */
export class FfmpegMediaPipeline implements MediaPipeline {
  private readonly ffmpegPath: string;
  private readonly ffprobePath: string;
  private readonly preset: string;
  private readonly prober: SegmentProber;
  /** The fragment cache when the fragment cut is on (warm it as segments complete). */
  readonly fragmentCache: FragmentCache | null;
  private lastSweepMs = 0;
  private sweeping: Promise<unknown> = Promise.resolve();
  private readonly maxColdSegments: number;
  /**
   * Buffers (segment directories) whose re-encoded heads did not match the source's parameter
   * sets: accurate cuts with a head skip the fragment attempt there (one encoder per buffer).
   */
  private readonly headMismatch = new Set<string>();

  constructor(options: FfmpegMediaPipelineOptions = {}) {
    this.ffmpegPath = resolveFfmpegPath(options.ffmpegPath);
    this.ffprobePath = resolveFfprobePath(options.ffprobePath);
    this.preset = options.encoderPreset ?? 'superfast';
    this.prober = options.prober ?? createSegmentProber({ ffprobePath: this.ffprobePath });
    this.fragmentCache =
      options.fragmentCache ??
      (options.fragmentCacheDir
        ? new FragmentCache({ dir: options.fragmentCacheDir, ffmpegPath: this.ffmpegPath })
        : null);
    this.maxColdSegments = options.fragmentMaxColdSegments ?? 3;
  }

  async probe(filePath: string): Promise<MediaProbe> {
    try {
      return toMediaProbe(await ffprobeJson(this.ffprobePath, filePath));
    } catch (error) {
      throw mediaError(`Could not probe ${path.basename(filePath)}`, error);
    }
  }

  async poster(inputPath: string, outputPath: string, atSeconds: number, width = 640): Promise<void> {
    const w = Math.max(16, Math.round(width / 2) * 2);
    try {
      await runFfmpeg({
        ffmpegPath: this.ffmpegPath,
        inputs: [{ url: inputPath, options: ['-ss', Math.max(0, atSeconds).toFixed(3)] }],
        outputOptions: [
          '-map',
          '0:v:0',
          '-frames:v',
          '1',
          '-vf',
          `scale=${w}:-2`,
          '-q:v',
          '3',
          '-f',
          'mjpeg',
        ],
        output: outputPath,
      });
      const info = await stat(outputPath);
      if (info.size === 0) throw new Error('ffmpeg wrote an empty poster');
    } catch (error) {
      await rm(outputPath, { force: true });
      throw mediaError('Could not write the poster', error);
    }
  }

  async cut(request: CutRequest): Promise<CutResult> {
    validate(request);
    const { signal } = request;
    const progress = monotonicProgress(request.onProgress);
    let createdWorkDir: string | undefined;
    let scratch: string | undefined;
    let warmAfter: Segment[] | null = null;
    try {
      throwIfAborted(signal);
      await assertSegmentsPresent(request.segments);
      createdWorkDir = await mkdir(request.workDir, { recursive: true });
      scratch = await mkdtemp(path.join(request.workDir, 'cut-'));
      const source = await this.sourceInfo(request.segments[0]!, signal);
      const bFrames = (source.video.has_b_frames ?? 0) > 0;

      const plans: RunPlan[] = [];
      for (const run of splitRuns(request.segments)) {
        const plan = await this.planRun(run, request, bFrames, signal);
        if (plan) plans.push(plan);
      }
      if (plans.length === 0) {
        throw new ReplayBufferError(
          ReplayErrorCode.MEDIA_ERROR,
          'The segments hold no frame inside the range',
          {
            details: { startMs: request.startMs, endMs: request.endMs },
          },
        );
      }
      const totalSeconds = plans.reduce((sum, p) => sum + (p.lastPts + p.frameDuration - p.firstPts), 0);
      const headCount = plans.filter((p) => p.head).length;

      // 1. Re-encode the head of each run (small: at most one segment).
      const heads = new Map<RunPlan, string>();
      let headsDone = 0;
      for (const [i, plan] of plans.entries()) {
        if (!plan.head) continue;
        const headPath = path.join(scratch, `head_${i}.ts`);
        await this.encodeHead(plan, source, headPath, signal, (fraction) =>
          progress((0.15 * (headsDone + fraction)) / headCount),
        );
        heads.set(plan, headPath);
        headsDone++;
      }
      progress(0.15);

      // 3. Probe and verify the result; hash it unless it was hashed while written.
      const check = async (written: WrittenClip | null) => {
        throwIfAborted(signal);
        const outputJson = await ffprobeJson(this.ffprobePath, request.outputPath, signalOption(signal));
        const probe = toMediaProbe(outputJson);
        if (!(probe.durationSeconds > 0) || !probe.videoCodec) {
          throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, 'ffmpeg produced a clip without video', {
            details: { probe },
          });
        }
        // Stream copy skips what it cannot parse: a damaged segment shows up as missing time
        // (a frame held far longer than the frame rate allows) or a wrong length.
        // Both read the finished file; run them side by side (the second read hits the page cache).
        const [, hashed] = await Promise.all([
          this.verifyFrames(request.outputPath, totalSeconds, first0(plans).frameDuration, signal),
          written ?? sha256File(request.outputPath, signal),
        ]);
        return { probe, sha256: hashed.sha256, sizeBytes: hashed.sizeBytes };
      };

      // 2a. The fragment cut: cached per-segment fragments joined by byte copy.
      let outcome: (Awaited<ReturnType<typeof check>> & { path: 'fragments' | 'remux' }) | null = null;
      let fallbackReason: string | undefined;
      const single = plans.length === 1 ? plans[0]! : null;
      const buffer = path.dirname(request.segments[0]!.path);
      const knownMismatch =
        single?.head != null && single.segments.length > 1 && this.headMismatch.has(buffer);
      if (this.fragmentCache && single && !bFrames && !knownMismatch) {
        try {
          const written = await this.writeFromFragments(
            this.fragmentCache,
            single,
            heads.get(single),
            source,
            request.outputPath,
            scratch,
            signal,
            (fraction) => progress(0.15 + 0.75 * fraction),
          );
          progress(0.9);
          outcome = { ...(await check(written)), path: 'fragments' };
        } catch (error) {
          if (signal?.aborted || (error instanceof ProcessFailure && error.aborted)) throw error;
          // Correctness first: anything unexpected falls back to the full remux.
          fallbackReason = error instanceof Error ? error.message : String(error);
          if (error instanceof DecoderConfigMismatchError && single.head) {
            if (this.headMismatch.size >= 1000) this.headMismatch.clear();
            this.headMismatch.add(buffer);
          }
          // Cached after this cut is done, so the two do not compete for the CPU.
          if (error instanceof FragmentCacheColdError) warmAfter = error.segments;
          await rm(request.outputPath, { force: true });
        }
        this.maybeSweep();
      } else if (this.fragmentCache) {
        fallbackReason = bFrames
          ? 'the source has B-frames'
          : knownMismatch
            ? 'the parts have different decoder configurations (re-encoded heads of this buffer did not match before)'
            : 'the range spans a gap';
      }

      if (!outcome) {
        // 2b. Stream-copy each run and mux the MP4.
        const mux = (seconds: number) => progress(0.15 + 0.75 * Math.min(1, seconds / totalSeconds));
        if (plans.length === 1) {
          const plan = plans[0]!;
          await this.muxRun(plan, heads.get(plan), source, request.outputPath, 'mp4', signal, mux);
        } else {
          let doneSeconds = 0;
          const lines = ['ffconcat version 1.0'];
          for (const [i, plan] of plans.entries()) {
            const runPath = path.join(scratch, `run_${i}.ts`);
            const runSeconds = plan.lastPts + plan.frameDuration - plan.firstPts;
            await this.muxRun(plan, heads.get(plan), source, runPath, 'mpegts', signal, (s) =>
              mux((doneSeconds + Math.min(s, runSeconds)) * 0.8),
            );
            doneSeconds += runSeconds;
            lines.push(`file 'run_${i}.ts'`, `duration ${runSeconds.toFixed(6)}`);
          }
          const listPath = path.join(scratch, 'runs.ffconcat');
          await writeFile(listPath, `${lines.join('\n')}\n`);
          await runFfmpeg({
            ffmpegPath: this.ffmpegPath,
            cwd: scratch,
            inputs: [{ url: listPath, options: ['-f', 'concat', '-safe', '0'] }],
            outputOptions: [...mapAndCopy(source, 'mp4'), '-movflags', '+faststart', '-f', 'mp4'],
            output: request.outputPath,
            ...(signal ? { signal } : {}),
            onTime: (s) => mux(totalSeconds * 0.8 + s * 0.2),
          });
        }
        progress(0.9);
        outcome = { ...(await check(null)), path: 'remux' };
      }
      progress(1);
      const first = plans[0]!;
      const last = plans.at(-1)!;
      return {
        sha256: outcome.sha256,
        sizeBytes: outcome.sizeBytes,
        probe: outcome.probe,
        path: outcome.path,
        ...(fallbackReason && outcome.path === 'remux' ? { fragmentFallbackReason: fallbackReason } : {}),
        actualStartMs: first.anchorWallMs + (first.firstPts - first.anchorPts) * 1000,
        actualEndMs: last.anchorWallMs + (last.lastPts + last.frameDuration - last.anchorPts) * 1000,
      };
    } catch (error) {
      await rm(request.outputPath, { force: true }).catch(() => undefined);
      if (signal?.aborted || (error instanceof ProcessFailure && error.aborted)) {
        throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, 'The cut was aborted; nothing was written', {
          cause: signal?.reason ?? error,
          details: { aborted: true },
        });
      }
      throw mediaError('Cutting the clip failed', error);
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
      // Only the workDir itself, and only if empty: a parent we created may be shared.
      if (createdWorkDir) await rmdir(request.workDir).catch(() => undefined);
      if (warmAfter && !signal?.aborted) void this.fragmentCache?.warmInBackground(warmAfter);
    }
  }

  /**
   * Writes the run from fragments: the first segment (or the re-encoded head) and the last
   * segment are remuxed on the spot with their cut points, every segment between them comes
   * from the fragment cache (remuxed now if it is not there yet), and the parts are joined by
   * writeFragmentClip. Throws FragmentJoinError when the parts do not fit one moov.
   */
  private async writeFromFragments(
    cache: FragmentCache,
    plan: RunPlan,
    headPath: string | undefined,
    source: SourceInfo,
    outputPath: string,
    scratch: string,
    signal: AbortSignal | undefined,
    onFraction: (fraction: number) => void,
  ): Promise<WrittenClip> {
    const segments = plan.segments;
    const endSeconds = plan.endPts - EPS;
    let cold = 0;
    for (const segment of segments.slice(1, -1)) if (!(await cache.has(segment))) cold++;
    if (cold > this.maxColdSegments) throw new FragmentCacheColdError(segments, cold);
    const edge = (
      input: string,
      name: string,
      fromSeconds: number | undefined,
      toSeconds: number | undefined,
    ) =>
      remuxToFragments({
        ffmpegPath: this.ffmpegPath,
        input,
        scratchPath: path.join(scratch, name),
        withAudio: source.audio !== null,
        ...(fromSeconds !== undefined ? { fromSeconds } : {}),
        ...(toSeconds !== undefined ? { toSeconds } : {}),
        ...signalOption(signal),
      });
    const steps = segments.length + 1;
    const parts: ClipPart[] = [];
    // A whole segment comes from the cache as is: the head when the cut starts on its first
    // frame (no re-encode) and no other track starts before the video, the tail when the cut
    // keeps its last frame. Else it is remuxed now with its cut point.
    const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-6;
    let cachedHead: CachedFragment | null = null;
    if (!headPath && segments.length > 1) {
      const probe = await this.prober(segments[0]!.path, signal);
      if (near(probe.framePtsSeconds[0], plan.firstPts)) {
        const cached = await cache.get(segments[0]!, signal);
        if (await startsWithVideo(cached)) cachedHead = cached;
      }
    }
    let tailWhole = false;
    if (segments.length > 1) {
      const probe = await this.prober(segments.at(-1)!.path, signal);
      tailWhole = near(probe.framePtsSeconds.at(-1), plan.lastPts);
    }
    if (cachedHead) {
      parts.push(cachedHead);
    } else {
      // The head holds the frames from firstPts (and up to the end when it is the only segment).
      // ffmpeg's output -ss moves the head's times back by the start; say so to the writer.
      parts.push({
        ...(await edge(
          headPath ?? segments[0]!.path,
          'first.mp4',
          plan.firstPts,
          segments.length === 1 ? endSeconds : undefined,
        )),
        shiftSeconds: Number(plan.firstPts.toFixed(6)),
      });
    }
    onFraction(1 / steps);
    const middle = segments.slice(1, tailWhole ? undefined : -1);
    for (const [i, segment] of middle.entries()) {
      parts.push(await cache.get(segment, signal));
      // A re-encoded head whose parameter sets differ is known now: stop before the rest.
      if (i === 0) assertSameDecoderConfig(parts[0]!.init, parts[1]!.init);
      onFraction((i + 2) / steps);
    }
    if (segments.length > 1 && !tailWhole) {
      parts.push(await edge(segments.at(-1)!.path, 'last.mp4', undefined, endSeconds));
    }
    onFraction((steps - 1) / steps);
    return writeFragmentClip(parts, outputPath, { originSeconds: plan.firstPts, ...signalOption(signal) });
  }

  /** Drops cached fragments of segments that left the buffer, now and then, in the background. */
  private maybeSweep(): void {
    const cache = this.fragmentCache;
    const now = Date.now();
    if (!cache || now - this.lastSweepMs < FRAGMENT_SWEEP_INTERVAL_MS) return;
    this.lastSweepMs = now;
    this.sweeping = cache.sweep().catch(() => undefined);
  }

  /** Waits for background work (fragment caching and sweeping) and stops queued work. */
  async close(): Promise<void> {
    await this.sweeping;
    await this.fragmentCache?.close();
  }

  private async verifyFrames(
    filePath: string,
    expectedSeconds: number,
    frameDuration: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const csv = await runForText(
      this.ffprobePath,
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'packet=pts_time',
        '-of',
        'csv=p=0',
        filePath,
      ],
      signalOption(signal),
    );
    const pts = csv
      .split(/\r?\n/)
      .map((line) => Number.parseFloat(line.split(',')[0] ?? ''))
      .filter((n) => Number.isFinite(n))
      .sort((a, b) => a - b);
    let maxStep = 0;
    for (let i = 1; i < pts.length; i++) maxStep = Math.max(maxStep, pts[i]! - pts[i - 1]!);
    const seconds = pts.length ? pts.at(-1)! - pts[0]! + frameDuration : 0;
    const stepLimit = Math.max(0.5, 4 * frameDuration);
    const lengthLimit = Math.max(0.25, 3 * frameDuration);
    if (maxStep > stepLimit || Math.abs(seconds - expectedSeconds) > lengthLimit) {
      throw new ReplayBufferError(
        ReplayErrorCode.MEDIA_ERROR,
        'The clip is missing frames (a segment is probably damaged); nothing was saved',
        {
          details: {
            expectedSeconds,
            actualSeconds: seconds,
            frames: pts.length,
            longestFrameSeconds: maxStep,
          },
        },
      );
    }
  }

  private async sourceInfo(segment: Segment, signal: AbortSignal | undefined): Promise<SourceInfo> {
    const json = await ffprobeJson(this.ffprobePath, segment.path, {
      programs: true,
      ...signalOption(signal),
    });
    const streams = json.streams ?? [];
    const video = streams.find((s) => s.codec_type === 'video');
    if (!video) {
      throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `Segment ${segment.name} has no video stream`);
    }
    if (video.codec_name !== 'h264') {
      throw new ReplayBufferError(
        ReplayErrorCode.MEDIA_ERROR,
        `Segment ${segment.name} is ${video.codec_name ?? 'unknown'} video; only H.264 is supported`,
      );
    }
    const audio = streams.find((s) => s.codec_type === 'audio') ?? null;
    const program = json.programs?.[0];
    return {
      video,
      audio,
      programNumber: program?.program_num ?? null,
      pmtPid: program?.pmt_pid ?? null,
    };
  }

  private async planRun(
    run: Segment[],
    request: CutRequest,
    bFrames: boolean,
    signal: AbortSignal | undefined,
  ): Promise<RunPlan | null> {
    const fromMs = Math.max(request.startMs, run[0]!.startMs);
    const toMs = Math.min(request.endMs, segmentEndMs(run.at(-1)!));
    if (toMs <= fromMs) return null;
    let segments = run.filter((s) => s.startMs < toMs && segmentEndMs(s) > fromMs);
    if (segments.length === 0) return null;

    const probes = new Map<Segment, SegmentProbe>();
    const probeOf = async (s: Segment) => {
      let p = probes.get(s);
      if (!p) {
        p = await this.prober(s.path, signal);
        probes.set(s, p);
      }
      return p;
    };
    const anchor = segments[0]!;
    const anchorProbe = await probeOf(anchor);
    if (anchorProbe.firstVideoPtsSeconds === null) {
      throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `Segment ${anchor.name} holds no video frame`);
    }
    const anchorPts = anchorProbe.firstVideoPtsSeconds;
    const toPts = (ms: number) => anchorPts + (ms - anchor.startMs) / 1000;
    const startPts = toPts(fromMs);
    const endPts = toPts(toMs);

    // The first frame at or after the start; it may lie in the next segment.
    let firstPts: number | null = null;
    let firstKey = false;
    while (segments.length) {
      const p = await probeOf(segments[0]!);
      if (request.mode === 'fast') {
        const keys = p.keyframePtsSeconds.filter((k) => k <= startPts + EPS);
        const key = keys.at(-1) ?? p.keyframePtsSeconds[0];
        if (key !== undefined && key < endPts - EPS) {
          firstPts = key;
          firstKey = true;
        }
      } else {
        const frame = p.framePtsSeconds.find((f) => f >= startPts - EPS);
        if (frame !== undefined && frame < endPts - EPS) {
          firstPts = frame;
          firstKey = p.keyframePtsSeconds.some((k) => Math.abs(k - frame) < 1e-6);
        }
      }
      if (firstPts !== null) break;
      segments = segments.slice(1);
    }
    if (firstPts === null || segments.length === 0) return null;

    // The last frame before the end.
    let lastPts: number | null = null;
    for (let i = segments.length - 1; i >= 0 && lastPts === null; i--) {
      const frames = (await probeOf(segments[i]!)).framePtsSeconds.filter(
        (f) => f < endPts - EPS && f >= firstPts,
      );
      if (frames.length) {
        lastPts = frames.at(-1)!;
        segments = segments.slice(0, i + 1);
      }
    }
    if (lastPts === null) return null;
    const frameDuration = anchorProbe.frameDurationSeconds ?? 1 / 30;

    let head: RunPlan['head'] = null;
    let copy = segments;
    if (request.mode === 'accurate' && bFrames) {
      // Cutting a B-frame stream mid-GOP by copy breaks references: re-encode it all.
      head = { inputs: segments, untilEnd: true };
      copy = [];
    } else if (request.mode === 'accurate' && !firstKey) {
      head = { inputs: [segments[0]!], untilEnd: segments.length === 1 };
      copy = segments.slice(1);
    }
    return {
      segments,
      anchorWallMs: anchor.startMs,
      anchorPts,
      firstPts,
      lastPts,
      endPts,
      frameDuration,
      head,
      copy,
    };
  }

  private async encodeHead(
    plan: RunPlan,
    source: SourceInfo,
    outputPath: string,
    signal: AbortSignal | undefined,
    onFraction: (fraction: number) => void,
  ): Promise<void> {
    const head = plan.head!;
    const v = source.video;
    let select = `gte(t\\,${(plan.firstPts - EPS).toFixed(6)})`;
    if (head.untilEnd) select += `*lt(t\\,${(plan.endPts - EPS).toFixed(6)})`;
    const headSeconds = head.untilEnd
      ? plan.endPts - plan.firstPts
      : head.inputs.reduce((sum, s) => sum + s.durationSeconds, 0);
    const bytes = head.inputs.reduce((sum, s) => sum + s.sizeBytes, 0);
    const seconds = head.inputs.reduce((sum, s) => sum + s.durationSeconds, 0);
    // Cap the re-encode near the source's own bitrate (x2), quality-driven below that.
    const maxrate = Math.max(500_000, Math.ceil(((bytes * 8) / Math.max(seconds, 0.5)) * 2));
    const pixFmt = v.pix_fmt === 'yuv420p' || v.pix_fmt === 'yuvj420p' ? v.pix_fmt : 'yuv420p';
    const options = [
      '-map',
      '0:v:0',
      ...(source.audio ? ['-map', '0:a:0'] : []),
      '-vf',
      `select='${select}'`,
      '-fps_mode',
      'passthrough',
      '-enc_time_base:v',
      '-1',
      '-c:v',
      'libx264',
      '-preset',
      this.preset,
      ...x264Profile(v.profile),
      ...(v.level && v.level > 0 ? ['-level:v', (v.level / 10).toFixed(1)] : []),
      '-pix_fmt',
      pixFmt,
      '-bf',
      '0',
      '-crf',
      '18',
      '-maxrate',
      String(maxrate),
      '-bufsize',
      String(maxrate),
      // Headers that do not depend on this content or its rate control (stitchable: PPS
      // init QP 26) with the source's frame-rate timing (force-cfr: VUI from the frame rate,
      // the timestamps still pass through), so the head's SPS/PPS can equal a
      // rate-controlled source's and its fragments can share the source's moov.
      '-x264-params',
      'stitchable=1:force-cfr=1',
      ...colorOptions(v),
      ...(source.audio ? ['-c:a', 'copy'] : []),
      ...tsMuxOptions(source),
      '-f',
      'mpegts',
    ];
    await runFfmpeg({
      ffmpegPath: this.ffmpegPath,
      cwd: commonDir(head.inputs),
      inputs: [
        {
          url: concatUrl(head.inputs.map((s) => relativeTo(commonDir(head.inputs), s))),
          options: ['-copyts'],
        },
      ],
      outputOptions: options,
      output: outputPath,
      ...signalOption(signal),
      onTime: (s) => onFraction(Math.min(1, Math.max(0, s - plan.firstPts) / Math.max(headSeconds, 0.001))),
    });
  }

  private async muxRun(
    plan: RunPlan,
    headPath: string | undefined,
    source: SourceInfo,
    outputPath: string,
    format: 'mp4' | 'mpegts',
    signal: AbortSignal | undefined,
    onTime: (seconds: number) => void,
  ): Promise<void> {
    const dir = commonDir(plan.copy.length ? plan.copy : plan.segments);
    const parts = [...(headPath ? [headPath] : []), ...plan.copy.map((s) => relativeTo(dir, s))];
    await runFfmpeg({
      ffmpegPath: this.ffmpegPath,
      cwd: dir,
      inputs: [{ url: concatUrl(parts), options: ['-copyts'] }],
      outputOptions: [
        ...mapAndCopy(source, format),
        // With -copyts these are stream times; the output starts at the first frame.
        '-ss',
        plan.firstPts.toFixed(6),
        '-to',
        (plan.endPts - EPS).toFixed(6),
        ...(format === 'mp4'
          ? ['-movflags', '+faststart', '-f', 'mp4']
          : ['-muxdelay', '0', '-muxpreload', '0', '-f', 'mpegts']),
      ],
      output: outputPath,
      ...signalOption(signal),
      onTime,
    });
  }
}

/** Splits segments where a sequence number is skipped or the timeline jumps. */
export function splitRuns(segments: Segment[], toleranceMs = DEFAULT_GAP_TOLERANCE_MS): Segment[][] {
  const runs: Segment[][] = [];
  let current: Segment[] = [];
  for (const segment of segments) {
    const prev = current.at(-1);
    if (
      prev &&
      (segment.sequence !== prev.sequence + 1 || Math.abs(segment.startMs - segmentEndMs(prev)) > toleranceMs)
    ) {
      runs.push(current);
      current = [];
    }
    current.push(segment);
  }
  if (current.length) runs.push(current);
  return runs;
}

/** Retention may remove a segment between selection and cut: say so plainly. */
async function assertSegmentsPresent(segments: Segment[]): Promise<void> {
  const missing: string[] = [];
  await Promise.all(
    segments.map(async (s) => {
      const info = await stat(s.path).catch(() => null);
      if (!info?.isFile()) missing.push(s.name);
    }),
  );
  if (missing.length) {
    throw new ReplayBufferError(
      ReplayErrorCode.RANGE_UNAVAILABLE,
      'Part of that range was removed from the replay buffer meanwhile; choose a more recent range',
      { details: { missing: missing.sort() } },
    );
  }
}

function first0(plans: RunPlan[]): RunPlan {
  return plans[0]!;
}

function validate(request: CutRequest): void {
  const fail = (message: string) => {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message);
  };
  if (!request.segments.length) fail('A cut needs at least one segment');
  if (!(request.startMs < request.endMs)) fail('A cut needs a start before its end');
  if (!path.isAbsolute(request.outputPath) || !path.isAbsolute(request.workDir)) {
    fail('outputPath and workDir must be absolute paths');
  }
  for (let i = 1; i < request.segments.length; i++) {
    if (request.segments[i]!.startMs < request.segments[i - 1]!.startMs)
      fail('Segments must be oldest first');
  }
  for (const p of [request.workDir, ...request.segments.map((s) => s.path)]) {
    // `|` separates the parts of a concat: URL.
    if (p.includes('|')) fail(`Path ${p} contains "|", which ffmpeg's concat protocol cannot take`);
  }
}

function x264Profile(profile: string | undefined): string[] {
  switch ((profile ?? '').toLowerCase()) {
    case 'high':
      return ['-profile:v', 'high'];
    case 'main':
      return ['-profile:v', 'main'];
    case 'baseline':
    case 'constrained baseline':
      return ['-profile:v', 'baseline'];
    default:
      return [];
  }
}

function colorOptions(v: SourceInfo['video']): string[] {
  const out: string[] = [];
  const known = (value: string | undefined) => value && value !== 'unknown' && value !== 'reserved';
  if (known(v.color_primaries)) out.push('-color_primaries', v.color_primaries!);
  if (known(v.color_transfer)) out.push('-color_trc', v.color_transfer!);
  if (known(v.color_space)) out.push('-colorspace', v.color_space!);
  if (known(v.color_range)) out.push('-color_range', v.color_range!);
  return out;
}

/** Writes the head with the source's program number and PIDs so byte concatenation joins cleanly. */
function tsMuxOptions(source: SourceInfo): string[] {
  const out = ['-muxdelay', '0', '-muxpreload', '0'];
  if (source.programNumber) out.push('-mpegts_service_id', String(source.programNumber));
  if (source.pmtPid) out.push('-mpegts_pmt_start_pid', String(source.pmtPid));
  const videoPid = pid(source.video.id);
  if (videoPid !== null) out.push('-streamid', `0:${videoPid}`);
  const audioPid = source.audio ? pid(source.audio.id) : null;
  if (audioPid !== null) out.push('-streamid', `1:${audioPid}`);
  return out;
}

function pid(id: string | undefined): number | null {
  if (!id) return null;
  const value = Number.parseInt(id, id.startsWith('0x') ? 16 : 10);
  return Number.isInteger(value) && value >= 16 && value < 8191 ? value : null;
}

function mapAndCopy(source: SourceInfo, format: 'mp4' | 'mpegts'): string[] {
  return [
    '-map',
    '0:v:0',
    ...(source.audio ? ['-map', '0:a:0'] : []),
    // MP4 stores raw AAC; MPEG-TS keeps ADTS.
    ...(source.audio && format === 'mp4' ? ['-bsf:a', 'aac_adtstoasc'] : []),
    '-c',
    'copy',
  ];
}

function commonDir(segments: Segment[]): string {
  return path.dirname(segments[0]!.path);
}

/** Segment names are validated; within their own directory they need no path at all. */
function relativeTo(dir: string, segment: Segment): string {
  return path.dirname(segment.path) === dir ? path.basename(segment.path) : segment.path;
}

function concatUrl(parts: string[]): string {
  return parts.length === 1 ? parts[0]! : `concat:${parts.join('|')}`;
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new ProcessFailure('aborted', null, '', true);
}

function monotonicProgress(onProgress: ((fraction: number) => void) | undefined) {
  let last = -1;
  return (fraction: number) => {
    const value = Math.min(1, Math.max(0, fraction));
    if (!onProgress || value <= last + 0.001) return;
    last = value;
    try {
      onProgress(value);
    } catch {
      // A failing progress listener must not break the cut.
    }
  };
}

function mediaError(message: string, error: unknown): ReplayBufferError {
  if (error instanceof ReplayBufferError) return error;
  const details: Record<string, unknown> = {};
  if (error instanceof ProcessFailure) {
    details.stderrTail = error.stderrTail;
    if (error.exitCode !== null) details.exitCode = error.exitCode;
  }
  const text = error instanceof Error ? error.message : String(error);
  return new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `${message}: ${text}`, { cause: error, details });
}
