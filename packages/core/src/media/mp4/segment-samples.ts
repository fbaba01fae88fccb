import { demuxTs } from '../../segments/mpegts/ts-demux.js';
import { type AacFrame, type AacStreamInfo, AdtsReader } from './aac-adts.js';
import type { Arena } from './buffer-pool.js';
import { annexBToSample, type H264ParameterSets } from './h264-access-unit.js';
import { NativeRemuxUnsupported } from './unsupported.js';

export interface VideoSample {
  /** 90 kHz ticks, unwrapped near the run's reference. */
  pts: number;
  dts: number;
  key: boolean;
  data: Buffer;
}

export interface SegmentSamples {
  video: VideoSample[];
  audio: AacFrame[];
  audioInfo: AacStreamInfo | null;
}

/** Which frames of a segment to keep, in 90 kHz ticks (unwrapped near `referenceTicks`). */
export interface SampleWindow {
  referenceTicks: number;
  keepVideo: (pts: number) => boolean;
  keepAudio: (pts: number) => boolean;
}

const WRAP = 2 ** 33;

/**
 * Demuxes one MPEG-TS segment into MP4-ready samples (H.264 length-prefixed, AAC raw),
 * converting only the frames the window keeps. Anything unusual is NativeRemuxUnsupported.
 */
export function readSegmentSamples(
  bytes: Buffer,
  expectAudio: boolean,
  sets: H264ParameterSets,
  window: SampleWindow,
  scratch?: { audio: Buffer; video: Arena },
): SegmentSamples {
  const ts = demuxTs(bytes, scratch?.audio);
  const allocate = scratch ? (size: number) => scratch.video.alloc(size) : undefined;
  if (ts.badPackets > 0 || ts.trailingBytes > 0) throw new NativeRemuxUnsupported('damaged MPEG-TS packets');
  if (ts.videoCodec !== 'h264') throw new NativeRemuxUnsupported(`${ts.videoCodec ?? 'no'} video`);
  if (expectAudio !== (ts.audioPid !== null) || (ts.audioPid !== null && ts.audioCodec !== 'aac')) {
    throw new NativeRemuxUnsupported('the audio stream differs between segments');
  }
  const unwrap = (t: number) => {
    let value = t;
    while (value < window.referenceTicks - WRAP / 2) value += WRAP;
    return value;
  };
  const video: VideoSample[] = [];
  for (const unit of ts.video.units) {
    if (unit.declaredSize > 0 && unit.end - unit.start < unit.declaredSize) {
      throw new NativeRemuxUnsupported('a truncated video packet');
    }
    const pts = unwrap(unit.pts);
    if (!window.keepVideo(pts)) continue;
    const sample = annexBToSample(ts.video.data.subarray(unit.start, unit.end), sets, allocate);
    video.push({ pts, dts: unwrap(unit.dts), key: sample.key, data: sample.data });
  }
  const adts = new AdtsReader();
  for (const unit of ts.audio.units) {
    if (unit.declaredSize > 0 && unit.end - unit.start < unit.declaredSize) {
      throw new NativeRemuxUnsupported('a truncated audio packet');
    }
    adts.push(ts.audio.data.subarray(unit.start, unit.end), unwrap(unit.pts));
  }
  return {
    video,
    audio: adts.frames.filter((f) => window.keepAudio(f.pts)),
    audioInfo: adts.info,
  };
}
