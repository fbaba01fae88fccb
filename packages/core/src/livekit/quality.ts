import { AudioCodec, EncodingOptions, VideoCodec } from 'livekit-server-sdk';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { QualityPreset, SourceDimensions } from '../types.js';

interface QualitySpec {
  width: number;
  height: number;
  framerate: number;
  /** kbit/s, as LiveKit's EncodingOptions expects. */
  videoBitrate: number;
}

/** Named presets; the 720p/1080p ones match LiveKit's H264_*_30 presets. */
export const QUALITY_PRESETS: Record<Exclude<QualityPreset, 'source'>, QualitySpec> = {
  '720p': { width: 1280, height: 720, framerate: 30, videoBitrate: 3000 },
  '1080p': { width: 1920, height: 1080, framerate: 30, videoBitrate: 4500 },
  '1440p': { width: 2560, height: 1440, framerate: 30, videoBitrate: 8000 },
};

/**
 * Screen content at the shared screen's resolution: width × height × 5 bit/s, clamped to
 * 3–20 Mbit/s (what production settled on). Dimensions are rounded down to even numbers
 * (H.264 4:2:0) and capped at 4K.
 */
export function sourceMatchedSpec(source: SourceDimensions): QualitySpec {
  if (
    !Number.isFinite(source.width) ||
    !Number.isFinite(source.height) ||
    source.width < 16 ||
    source.height < 16
  ) {
    throw new ReplayBufferError(
      ReplayErrorCode.INVALID_INPUT,
      'quality "source" needs the shared screen\'s width and height (at least 16×16)',
    );
  }
  const scale = Math.min(1, 3840 / source.width, 2160 / source.height);
  const width = Math.floor((source.width * scale) / 2) * 2;
  const height = Math.floor((source.height * scale) / 2) * 2;
  const bitsPerSecond = Math.min(20_000_000, Math.max(3_000_000, width * height * 5));
  return { width, height, framerate: 30, videoBitrate: Math.round(bitsPerSecond / 1000) };
}

export function qualitySpec(quality: QualityPreset, source?: SourceDimensions): QualitySpec {
  if (quality === 'source') {
    if (!source) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'quality "source" needs sourceDimensions');
    }
    return sourceMatchedSpec(source);
  }
  return QUALITY_PRESETS[quality];
}

/**
 * Advanced encoding options for the egress. Always AAC audio: MPEG-TS/HLS players and the MP4
 * clips need it (Opus is LiveKit's default for some outputs). Keyframes every segment so
 * segments start on a keyframe and smart cuts re-encode at most one segment's worth.
 */
export function encodingOptionsFor(
  quality: QualityPreset,
  segmentDurationSeconds: number,
  source?: SourceDimensions,
): EncodingOptions {
  const spec = qualitySpec(quality, source);
  return new EncodingOptions({
    width: spec.width,
    height: spec.height,
    framerate: spec.framerate,
    videoBitrate: spec.videoBitrate,
    videoCodec: VideoCodec.H264_MAIN,
    audioCodec: AudioCodec.AAC,
    audioBitrate: 128,
    audioFrequency: 48000,
    keyFrameInterval: segmentDurationSeconds,
  });
}
