import { mkdir, mkdtemp, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { CutRequest, CutResult, MediaPipeline, MediaProbe } from '../ports/media-pipeline.js';
import { createSegmentProber, type SegmentProber } from '../segments/segment-probe.js';
import type { Segment } from '../segments/types.js';
import { joinRunsToClip, type MuxedClip, muxRunToClip, muxRunToTs } from './clip-mux.js';
import { coveredRange, planRuns, planSeconds, type RunPlan, validateCutRequest } from './cut-plan.js';
import { encodeHead, type SourceFacts } from './head-encode.js';
import { materializeSegments } from './materialize-segments.js';
import { cutNative } from './mp4/native-cut.js';
import { NativeRemuxUnsupported } from './mp4/unsupported.js';
import { ffprobeClip } from './probe.js';
import {
  resolveFfmpegPath,
  resolveFfprobePath,
  runMedia,
  sanitizePaths,
  segmentInputArgs,
} from './process-runner.js';
import { verifyMuxed } from './verify-clip.js';

export { splitRuns } from './cut-plan.js';

export interface FfmpegMediaPipelineOptions {
  /** ffmpeg binary; else FFMPEG_PATH; else `ffmpeg` on PATH. */
  ffmpegPath?: string;
  /** ffprobe binary (only `probe()` uses it); else FFPROBE_PATH; else `ffprobe` on PATH. */
  ffprobePath?: string;
  /**
   * x264 preset for the re-encoded head (default `superfast`: CABAC and one reference frame
   * like LiveKit's `veryfast`, so the parameter sets match closely, at about half the CPU).
   */
  encoderPreset?: string;
  /** Segment prober (frame and keyframe times, stream layout); defaults to the in-process reader. */
  prober?: SegmentProber;
  /**
   * How a save is remuxed: `native` (default) in-process for H.264 + AAC segments, ffmpeg for
   * anything else; `ffmpeg` always runs ffmpeg (the previous pipeline, kept as the fallback).
   */
  remux?: 'native' | 'ffmpeg';
  /** Kill a cut's ffmpeg after this long (default: 60 s plus 0.2 s per MB of segments). */
  processTimeoutMs?: number;
}

/**
 * The MediaPipeline: saves of H.264 + AAC segments (what LiveKit writes) are remuxed in-process
 * (media/mp4: non-fragmented MP4, frame-exact through edit lists, no process); posters,
 * probes and anything the native remux does not take (other codecs, B-frames, input it cannot
 * parse safely) run ffmpeg, spawned through the one process runner.
 *
 * The ffmpeg cut (`remux: 'ffmpeg'`, and the fallback) reads the boundary segments' MPEG-TS headers in-process (frame times, keyframes,
 * PIDs, SPS), then runs one ffmpeg: the segments joined by byte concatenation (`concat:`),
 * stream-copied from the first frame to the end bound into fragmented MP4 on stdout, which
 * Node hashes while writing it. `accurate` mode runs one more ffmpeg first when the start is
 * not a keyframe: it re-encodes the frames from the start to the end of the first segment
 * (LiveKit cuts segments on keyframes) with the source's parameters. The output is checked
 * against ffmpeg's own final progress report. Gaps are left out: each stretch is copied to
 * MPEG-TS and the stretches joined with the concat demuxer with explicit durations.
 */
export class FfmpegMediaPipeline implements MediaPipeline {
  private readonly ffmpegPath: string;
  private readonly ffprobePath: string;
  private readonly preset: string;
  private readonly prober: SegmentProber;
  private readonly timeoutMs: number | undefined;
  private readonly remux: 'native' | 'ffmpeg';

  constructor(options: FfmpegMediaPipelineOptions = {}) {
    this.ffmpegPath = resolveFfmpegPath(options.ffmpegPath);
    this.ffprobePath = resolveFfprobePath(options.ffprobePath);
    this.preset = options.encoderPreset ?? 'superfast';
    this.prober = options.prober ?? createSegmentProber();
    this.timeoutMs = options.processTimeoutMs;
    this.remux = options.remux ?? 'native';
  }

  async probe(filePath: string): Promise<MediaProbe> {
    try {
      return await ffprobeClip(this.ffprobePath, filePath);
    } catch (error) {
      throw mediaError(`Could not probe ${path.basename(filePath)}`, error);
    }
  }

  async poster(inputPath: string, outputPath: string, atSeconds: number, width = 640): Promise<void> {
    const w = Math.max(16, Math.round(width / 2) * 2);
    const isSegment = inputPath.endsWith('.ts');
    const seekTo = atSeconds > 0 ? ['-ss', atSeconds.toFixed(3)] : [];
    // A segment starts on a keyframe: at 0, decode that frame alone.
    const input = isSegment
      ? [...(atSeconds > 0 ? [] : ['-skip_frame', 'nokey']), ...segmentInputArgs(inputPath)]
      : ['-f', 'mov', '-protocol_whitelist', 'file', '-i', inputPath];
    try {
      await runMedia({
        binary: this.ffmpegPath,
        timeoutMs: 30_000,
        stdout: 'ignore',
        args: [
          '-hide_banner',
          '-nostdin',
          '-v',
          'error',
          '-y',
          '-threads',
          '1',
          // A segment is short: decode from its start (its keyframe); MPEG-TS input seeking is unreliable.
          ...(isSegment ? [] : seekTo),
          ...input,
          ...(isSegment ? seekTo : []),
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
          outputPath,
        ],
      });
      const info = await stat(outputPath);
      if (info.size === 0) throw new Error('ffmpeg wrote an empty poster');
    } catch (error) {
      await rm(outputPath, { force: true });
      throw mediaError('Could not write the poster', error);
    }
  }

  async cut(request: CutRequest): Promise<CutResult> {
    validateCutRequest(request);
    const progress = monotonicProgress(request.onProgress);
    if (this.remux === 'native') {
      const clip = await this.cutInProcess(request, progress);
      if (clip) return clip;
    }
    // The ffmpeg path reads files (concat:): segments in object storage are copied into the
    // work directory first (only those selected; always removed).
    const files = await materializeSegments(
      request.source,
      request.segments,
      request.workDir,
      request.signal,
    );
    try {
      return await this.cutWithFfmpeg({ ...request, segments: files.segments, source: undefined }, progress);
    } finally {
      await files.release();
    }
  }

  /** The native remux; null when it cannot take this input (nothing is left behind then). */
  private async cutInProcess(request: CutRequest, progress: (f: number) => void): Promise<CutResult | null> {
    try {
      request.signal?.throwIfAborted();
      return await cutNative(request, progress);
    } catch (error) {
      await rm(request.outputPath, { force: true }).catch(() => undefined);
      if (error instanceof NativeRemuxUnsupported && !request.signal?.aborted) return null;
      throw cutError(error, request.signal);
    }
  }

  private async cutWithFfmpeg(request: CutRequest, progress: (f: number) => void): Promise<CutResult> {
    const { signal } = request;
    let createdWorkDir: string | undefined;
    let scratch: string | undefined;
    try {
      signal?.throwIfAborted();
      await assertSegmentsPresent(request.segments);
      const first = await this.prober(request.segments[0]!.path, signal);
      const source = sourceFacts(first, request.segments[0]!);
      const plans = await planRuns(request, source.reordered, this.prober);
      const totalSeconds = plans.reduce((sum, p) => sum + planSeconds(p), 0);
      const bytes = request.segments.reduce((sum, s) => sum + s.sizeBytes, 0);
      const timeoutMs = this.timeoutMs ?? 60_000 + Math.ceil(bytes / 1e6) * 200;
      const run = { ffmpegPath: this.ffmpegPath, timeoutMs, ...(signal ? { signal } : {}) };
      if (plans.length > 1 || plans.some((p) => p.head)) {
        createdWorkDir = await mkdir(request.workDir, { recursive: true });
        scratch = await mkdtemp(path.join(request.workDir, 'cut-'));
      }

      // 1. Re-encode the head of each run (small: at most one segment).
      const heads = new Map<RunPlan, string>();
      const headCount = plans.filter((p) => p.head).length;
      for (const [i, plan] of plans.entries()) {
        if (!plan.head) continue;
        const headPath = path.join(scratch!, `head_${i}.ts`);
        const done = heads.size;
        await encodeHead(plan, source, headPath, {
          ...run,
          preset: this.preset,
          onFraction: (f) => progress((0.15 * (done + f)) / headCount),
        });
        heads.set(plan, headPath);
      }
      progress(0.15);

      // 2. Stream-copy into the clip, hashed while written.
      const mux = (seconds: number) => progress(0.15 + 0.85 * Math.min(1, seconds / totalSeconds));
      let clip: MuxedClip;
      if (plans.length === 1) {
        const plan = plans[0]!;
        clip = await muxRunToClip(plan, heads.get(plan), source, request.outputPath, {
          ...run,
          onSeconds: mux,
        });
        verifyMuxed(clip.progress, totalSeconds, plan.frameDuration);
      } else {
        let doneSeconds = 0;
        const runFiles: { name: string; plan: RunPlan }[] = [];
        for (const [i, plan] of plans.entries()) {
          const name = `run_${i}.ts`;
          const offset = doneSeconds;
          await muxRunToTs(plan, heads.get(plan), source, path.join(scratch!, name), {
            ...run,
            onSeconds: (s) => mux((offset + s) * 0.8),
          });
          doneSeconds += planSeconds(plan);
          runFiles.push({ name, plan });
        }
        clip = await joinRunsToClip(runFiles, scratch!, source, request.outputPath, {
          ...run,
          onSeconds: (s) => mux(totalSeconds * 0.8 + s * 0.2),
        });
        verifyMuxed(clip.progress, totalSeconds, plans[0]!.frameDuration);
      }
      progress(1);
      const firstPlan = plans[0]!;
      const sps = source.sps;
      return {
        sha256: clip.sha256,
        sizeBytes: clip.sizeBytes,
        probe: {
          durationSeconds: totalSeconds,
          width: sps?.width ?? 0,
          height: sps?.height ?? 0,
          videoCodec: source.layout.videoCodec,
          audioCodec: source.layout.audioCodec,
          frameRate: Math.round(1000 / firstPlan.frameDuration) / 1000,
        },
        ...coveredRange(plans),
      };
    } catch (error) {
      await rm(request.outputPath, { force: true }).catch(() => undefined);
      throw cutError(error, signal);
    } finally {
      if (scratch) await rm(scratch, { recursive: true, force: true }).catch(() => undefined);
      // Only the workDir itself, and only if empty: a parent we created may be shared.
      if (createdWorkDir) await rmdir(request.workDir).catch(() => undefined);
    }
  }
}

function sourceFacts(probe: Awaited<ReturnType<SegmentProber>>, segment: Segment): SourceFacts {
  const layout = probe.layout;
  if (!layout?.videoPid) {
    throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `Segment ${segment.name} has no video stream`);
  }
  if (layout.videoCodec !== 'h264') {
    throw new ReplayBufferError(
      ReplayErrorCode.MEDIA_ERROR,
      `Segment ${segment.name} is ${layout.videoCodec ?? 'unknown'} video; only H.264 is supported`,
    );
  }
  return { layout, sps: probe.sps ?? null, reordered: probe.reordered ?? false };
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

function monotonicProgress(onProgress: ((fraction: number) => void) | undefined) {
  let last = -1;
  return (fraction: number) => {
    const value = Math.min(1, Math.max(0, fraction));
    if (!onProgress || value <= last || (value < 1 && value <= last + 0.001)) return;
    last = value;
    try {
      onProgress(value);
    } catch {
      // A failing progress listener must not break the cut.
    }
  };
}

function cutError(error: unknown, signal: AbortSignal | undefined): ReplayBufferError {
  if (signal?.aborted) {
    return new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, 'The cut was aborted; nothing was written', {
      cause: signal.reason,
      details: { aborted: true },
    });
  }
  return mediaError('Cutting the clip failed', error);
}

function mediaError(message: string, error: unknown): ReplayBufferError {
  if (error instanceof ReplayBufferError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, `${message}: ${sanitizePaths(text)}`, {
    cause: error,
  });
}
