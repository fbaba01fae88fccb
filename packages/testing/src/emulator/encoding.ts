import { EncodingOptionsPreset, type TrackCompositeEgressRequest } from '@livekit/protocol';
import { STAMP_WIDTH } from '../frame-stamp.js';

/** What the emulator encodes for one egress. */
export interface ResolvedEncoding {
  width: number;
  height: number;
  /** Frames per second actually encoded (after `maxFrameRate`). */
  fps: number;
  /** Frames per second the request asked for. */
  requestedFps: number;
  videoBitrateKbps: number;
  audioBitrateKbps: number;
  audioSampleRate: 48000;
  audioChannels: 2;
}

interface Base {
  width: number;
  height: number;
  fps: number;
  videoBitrateKbps: number;
}

// LiveKit egress presets (livekit_egress.proto / egress defaults).
const PRESETS: Record<number, Base> = {
  [EncodingOptionsPreset.H264_720P_30]: { width: 1280, height: 720, fps: 30, videoBitrateKbps: 3000 },
  [EncodingOptionsPreset.H264_720P_60]: { width: 1280, height: 720, fps: 60, videoBitrateKbps: 4500 },
  [EncodingOptionsPreset.H264_1080P_30]: { width: 1920, height: 1080, fps: 30, videoBitrateKbps: 4500 },
  [EncodingOptionsPreset.H264_1080P_60]: { width: 1920, height: 1080, fps: 60, videoBitrateKbps: 6000 },
  [EncodingOptionsPreset.PORTRAIT_H264_720P_30]: {
    width: 720,
    height: 1280,
    fps: 30,
    videoBitrateKbps: 3000,
  },
  [EncodingOptionsPreset.PORTRAIT_H264_720P_60]: {
    width: 720,
    height: 1280,
    fps: 60,
    videoBitrateKbps: 4500,
  },
  [EncodingOptionsPreset.PORTRAIT_H264_1080P_30]: {
    width: 1080,
    height: 1920,
    fps: 30,
    videoBitrateKbps: 4500,
  },
  [EncodingOptionsPreset.PORTRAIT_H264_1080P_60]: {
    width: 1080,
    height: 1920,
    fps: 60,
    videoBitrateKbps: 6000,
  },
};

// Egress defaults when no options are given (1080p30, 4.5 Mbps, 128 kbps audio).
const DEFAULT: Base = { width: 1920, height: 1080, fps: 30, videoBitrateKbps: 4500 };

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

export function resolveEncoding(
  request: TrackCompositeEgressRequest,
  limits: { maxFrameRate?: number | undefined; maxHeight?: number | undefined },
): ResolvedEncoding {
  let base = DEFAULT;
  let audioBitrateKbps = 128;
  const opts = request.options;
  if (opts.case === 'preset') {
    base = PRESETS[opts.value] ?? DEFAULT;
  } else if (opts.case === 'advanced') {
    const a = opts.value;
    base = {
      width: a.width || DEFAULT.width,
      height: a.height || DEFAULT.height,
      fps: a.framerate || DEFAULT.fps,
      videoBitrateKbps: a.videoBitrate || DEFAULT.videoBitrateKbps,
    };
    if (a.audioBitrate) audioBitrateKbps = a.audioBitrate;
  }
  let { width, height } = base;
  if (limits.maxHeight && height > limits.maxHeight) {
    // Never narrower than the frame stamp strip, so every frame stays readable.
    const scale = Math.max(limits.maxHeight / height, Math.min(1, STAMP_WIDTH / width));
    width = even(width * scale);
    height = even(height * scale);
  }
  const fps = Math.max(
    1,
    Math.round(limits.maxFrameRate ? Math.min(base.fps, limits.maxFrameRate) : base.fps),
  );
  return {
    width: even(width),
    height: even(height),
    fps,
    requestedFps: base.fps,
    videoBitrateKbps: base.videoBitrateKbps,
    audioBitrateKbps,
    audioSampleRate: 48000,
    audioChannels: 2,
  };
}
