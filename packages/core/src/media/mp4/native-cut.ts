import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { ReplayBufferError, ReplayErrorCode } from '../../errors.js';
import type { CutRequest, CutResult } from '../../ports/media-pipeline.js';
import { parseH264Sps } from '../../segments/mpegts/h264-sps.js';
import { type SegmentProbe, toSegmentProbe } from '../../segments/segment-probe.js';
import type { Segment } from '../../segments/types.js';
import { coveredRange, EPS, planRuns, planSeconds, type RunPlan } from '../cut-plan.js';
import { checkFrameCount } from '../verify-clip.js';
import { AAC_FRAME_SAMPLES, type AacStreamInfo } from './aac-adts.js';
import { Arena, BufferPool } from './buffer-pool.js';
import { H264ParameterSets } from './h264-access-unit.js';
import {
  avc1SampleEntry,
  type Edit,
  ftyp,
  MOVIE_TIMESCALE,
  mdatHeader,
  moov,
  mp4aSampleEntry,
} from './mp4-boxes.js';
import { SampleTrack } from './sample-track.js';
import { readSegmentBytes } from './segment-bytes.js';
import { readSegmentSamples } from './segment-samples.js';
import { NativeRemuxUnsupported } from './unsupported.js';

/** Seconds → 90 kHz ticks (MPEG-TS clock, also the movie and video timescale). */
const ticks = (seconds: number) => Math.round(seconds * 90_000);
const HALF_MS = 45;

/**
 * Cuts H.264 + AAC MPEG-TS segments into a non-fragmented MP4 in-process, one segment in
 * memory at a time (plus the next, read ahead), hashing every byte as it is written:
 * `ftyp`, one `mdat` per segment, `moov` last (sample tables and edit lists).
 *
 * Frame accuracy without re-encoding: the video is copied from the keyframe at or before the
 * first requested frame and an edit list (`elst` media_time) starts presentation at that
 * frame; the audio gets its own edit so both start at the same instant. Verified with frame
 * stamps (native-remux.test.ts, ffmpeg-media-pipeline.test.ts): ffmpeg/ffprobe decode exactly
 * the edited range (first/last frame within one frame, start_time 0 for both streams), and
 * Chromium's `<video>` (src=, moov at the end over HTTP Range) shows the requested frame at 0
 * and reports the edited duration; with media_time forced to 0 both showed the keyframe
 * instead (610 ms early), so the edit is what they honour. Non-fragmented on purpose: edit
 * lists in fragmented files are where players disagree.
 *
 * Throws NativeRemuxUnsupported (before or while writing) for what it does not handle;
 * the caller removes the output and cuts with ffmpeg.
 */
export async function cutNative(
  request: CutRequest,
  progress: (fraction: number) => void,
): Promise<CutResult> {
  const { signal, source } = request;
  const byPath = new Map(request.segments.map((s) => [s.path, s]));
  // Boundary segments are read while planning and kept for the remux: no second read.
  const cached = new Map<string, Buffer>();
  const pool = new BufferPool();
  const audioPool = new BufferPool();
  const videoPool = new BufferPool();
  const read = (s: Segment) => readSegmentBytes(s, source, (size) => pool.take(size), signal);
  const prober = async (p: string): Promise<SegmentProbe> => {
    let bytes = cached.get(p);
    if (!bytes) {
      bytes = await read(byPath.get(p)!);
      cached.set(p, bytes);
    }
    return toSegmentProbe(bytes);
  };

  const first = await prober(request.segments[0]!.path);
  const layout = first.layout;
  if (layout?.videoCodec !== 'h264') throw new NativeRemuxUnsupported(`${layout?.videoCodec ?? 'no'} video`);
  if (layout.audioCodec !== null && layout.audioCodec !== 'aac') {
    throw new NativeRemuxUnsupported(`${layout.audioCodec} audio`);
  }
  if (first.reordered) throw new NativeRemuxUnsupported('B-frames (reordered pictures)');
  const hasAudio = layout.audioPid !== null;
  const plans = await planRuns(request, false, prober);
  const frameTicks = ticks(plans[0]!.frameDuration);
  const runTicks = plans.map((p) => ticks(p.lastPts) + frameTicks - ticks(p.firstPts));
  const totalTicks = runTicks.reduce((sum, t) => sum + t, 0);
  // Where each run starts in the clip's presentation timeline.
  const runStarts = runTicks.map((_, k) => runTicks.slice(0, k).reduce((sum, t) => sum + t, 0));
  const keyTicks = await firstKeyframe(plans[0]!, prober);
  for (const plan of plans.slice(1)) {
    // A later run starts at its first segment's start, on a keyframe: no second edit needed.
    const probe = await prober(plan.segments[0]!.path);
    if (!probe.keyframePtsSeconds.some((k) => Math.abs(k - plan.firstPts) < EPS)) {
      throw new NativeRemuxUnsupported('a run after a gap does not start on a keyframe');
    }
  }

  const work = plans.flatMap((plan, k) => plan.segments.map((segment) => ({ plan, k, segment })));
  const totalBytes = work.reduce((sum, w) => sum + w.segment.sizeBytes, 0) || 1;
  const sets = new H264ParameterSets();
  const video = new SampleTrack();
  const audio = new SampleTrack();
  let audioInfo: AacStreamInfo | null = null;
  let videoMediaTime: number | null = null;
  let audioOrigin: number | null = null;
  let shownFrames = 0;
  const lastShown = plans.map(() => -1);

  const hash = createHash('sha256');
  let position = 0;
  const file = await open(request.outputPath, 'w');
  // One write in flight while the next segment is parsed (the thread pool does the I/O).
  let writing: Promise<unknown> = Promise.resolve();
  const write = async (buffers: Buffer[]) => {
    for (const b of buffers) hash.update(b);
    await writing;
    writing = file.writev(buffers);
    writing.catch(() => undefined); // awaited by the next write or at the end
    position += buffers.reduce((sum, b) => sum + b.length, 0);
  };
  const take = (s: Segment) => {
    const bytes = cached.get(s.path);
    cached.delete(s.path);
    return bytes ? Promise.resolve(bytes) : read(s);
  };
  try {
    await write([ftyp()]);
    let next: Promise<Buffer> | null = take(work[0]!.segment);
    let doneBytes = 0;
    for (const [i, { plan, k, segment }] of work.entries()) {
      signal?.throwIfAborted();
      const bytes: Buffer = await next!;
      next = i + 1 < work.length ? take(work[i + 1]!.segment) : null;
      next?.catch(() => undefined); // awaited on the next turn; no unhandled rejection meanwhile
      const firstTicks = ticks(plan.firstPts);
      const lastTicks = ticks(plan.lastPts);
      const runEnd = firstTicks + runTicks[k]!;
      const startTicks = k === 0 ? keyTicks : firstTicks;
      const aacTicks = audioInfo ? (AAC_FRAME_SAMPLES * 90_000) / audioInfo.sampleRate : 0;
      const audioScratch = audioPool.take(Math.max(4096, bytes.length >> 3));
      // Access units with 3-byte start codes grow by a byte per NAL: converted into here.
      const videoScratch = videoPool.take(bytes.length);
      const samples = readSegmentSamples(
        bytes,
        hasAudio,
        sets,
        {
          referenceTicks: ticks(plan.anchorPts),
          keepVideo: (pts) => pts >= startTicks - HALF_MS && pts <= lastTicks + HALF_MS,
          keepAudio: (pts) =>
            (k === 0 ? pts + (aacTicks || 1920) > firstTicks + HALF_MS : pts >= firstTicks - HALF_MS) &&
            pts < runEnd - HALF_MS,
        },
        { audio: audioScratch, video: new Arena(videoScratch) },
      );
      if (samples.audioInfo) {
        if (audioInfo && !audioInfo.config.equals(samples.audioInfo.config)) {
          throw new NativeRemuxUnsupported('the AAC configuration changes');
        }
        audioInfo ??= samples.audioInfo;
      }

      // Video: decode positions shifted so run k's first frame is presented at runStarts[k].
      for (const [j, s] of samples.video.entries()) {
        if (video.count === 0 || (j === 0 && s.pts === firstTicks && k > 0)) {
          if (!s.key) throw new NativeRemuxUnsupported('the copy would not start on a keyframe');
        }
        videoMediaTime ??= firstTicks - s.dts;
        const shift = videoMediaTime + runStarts[k]! - firstTicks;
        video.add(s.data.length, s.dts + shift, s.pts - s.dts, s.key);
        if (s.pts >= firstTicks - HALF_MS) {
          shownFrames++;
          lastShown[k] = s.pts;
        }
      }
      // Audio: each frame at its presentation instant, 1024 samples apart while continuous.
      const rate = audioInfo?.sampleRate ?? 1;
      for (const f of samples.audio) {
        const presentation = runStarts[k]! + f.pts - firstTicks;
        audioOrigin ??= presentation;
        const ideal = Math.round(((presentation - audioOrigin) * rate) / 90_000);
        const prev = audio.lastPosition;
        const continuous =
          prev !== undefined && Math.abs(ideal - (prev + AAC_FRAME_SAMPLES)) < AAC_FRAME_SAMPLES / 2;
        audio.add(f.data.length, continuous ? prev + AAC_FRAME_SAMPLES : ideal, 0, true);
      }

      const videoBytes = samples.video.reduce((sum, s) => sum + s.data.length, 0);
      const audioBytes = samples.audio.reduce((sum, f) => sum + f.data.length, 0);
      if (videoBytes + audioBytes > 0) {
        video.chunk(position + 8, samples.video.length);
        audio.chunk(position + 8 + videoBytes, samples.audio.length);
        await write([
          mdatHeader(videoBytes + audioBytes),
          ...samples.video.map((s) => s.data),
          ...samples.audio.map((f) => f.data),
        ]);
      }
      // The samples are views of these buffers: reuse them once their write is done.
      writing.then(
        () => {
          pool.release(bytes);
          audioPool.release(audioScratch);
          videoPool.release(videoScratch);
        },
        () => undefined,
      );
      doneBytes += segment.sizeBytes;
      progress(Math.min(0.99, doneBytes / totalBytes));
    }

    // The result is checked from what was written: every frame of the range, up to its end.
    const totalSeconds = plans.reduce((sum, p) => sum + planSeconds(p), 0);
    checkFrameCount(shownFrames, totalSeconds, plans[0]!.frameDuration);
    if (plans.some((p, k) => Math.abs(lastShown[k]! - ticks(p.lastPts)) > HALF_MS)) {
      throw new ReplayBufferError(
        ReplayErrorCode.MEDIA_ERROR,
        'The clip is missing its last frames (a segment is probably damaged); nothing was saved',
      );
    }
    if (!sets.sps || !sets.pps) throw new NativeRemuxUnsupported('no SPS/PPS in the copied frames');
    const sps = parseH264Sps(sets.sps);
    if (!sps) throw new NativeRemuxUnsupported('an SPS this reader cannot parse');

    const tracks = [
      video.tables(
        {
          id: 1,
          handler: 'vide',
          timescale: MOVIE_TIMESCALE,
          sampleEntry: avc1SampleEntry(sps.width, sps.height, sets.sps, sets.pps),
          width: sps.width,
          height: sps.height,
        },
        frameTicks,
        [{ duration: totalTicks, mediaTime: videoMediaTime! }],
      ),
    ];
    if (audioInfo && audio.count > 0) {
      tracks.push(
        audio.tables(
          {
            id: 2,
            handler: 'soun',
            timescale: audioInfo.sampleRate,
            sampleEntry: mp4aSampleEntry(audioInfo.sampleRate, audioInfo.channels, audioInfo.config, 2),
          },
          AAC_FRAME_SAMPLES,
          audioEdits(audioOrigin!, totalTicks, audioInfo.sampleRate),
        ),
      );
    }
    await write([moov(tracks, totalTicks)]);
    await writing;
    progress(1);
    return {
      sha256: hash.digest('hex'),
      sizeBytes: position,
      probe: {
        durationSeconds: totalTicks / 90_000,
        width: sps.width,
        height: sps.height,
        videoCodec: 'h264',
        audioCodec: layout.audioCodec,
        frameRate: Math.round(1000 / plans[0]!.frameDuration) / 1000,
      },
      ...coveredRange(plans),
    };
  } finally {
    cached.clear();
    await writing.catch(() => undefined);
    await file.close();
  }
}

/** The keyframe the copy starts from: at or before the first shown frame, in its segment. */
async function firstKeyframe(plan: RunPlan, prober: (p: string) => Promise<SegmentProbe>): Promise<number> {
  const probe = await prober(plan.segments[0]!.path);
  const key = probe.keyframePtsSeconds.filter((k) => k <= plan.firstPts + EPS).at(-1);
  if (key === undefined)
    throw new NativeRemuxUnsupported('no keyframe before the first frame in its segment');
  return ticks(key);
}

/** Audio presented from the clip's start: skip what precedes it, or wait for its first frame. */
function audioEdits(origin: number, totalTicks: number, sampleRate: number): Edit[] {
  if (origin >= 0) {
    return origin > 0
      ? [
          { duration: origin, mediaTime: -1 },
          { duration: totalTicks - origin, mediaTime: 0 },
        ]
      : [{ duration: totalTicks, mediaTime: 0 }];
  }
  return [{ duration: totalTicks, mediaTime: Math.round((-origin * sampleRate) / 90_000) }];
}
