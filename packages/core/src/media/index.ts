export { FfmpegMediaPipeline, type FfmpegMediaPipelineOptions, splitRuns } from './ffmpeg-media-pipeline.js';
export { type H264Sps, parseH264Sps } from './mpegts/h264-sps.js';
export { readTs, type TsLayout, type TsReadResult, type TsVideoFrame } from './mpegts/ts-reader.js';
export { sha256File } from './probe.js';
export {
  failureError,
  type MediaProgress,
  type MediaRunHandle,
  type MediaRunOptions,
  type MediaRunResult,
  observeMediaSpawns,
  resolveFfmpegPath,
  resolveFfprobePath,
  runMedia,
  sanitizePaths,
  segmentInputArgs,
  startMedia,
} from './process-runner.js';
export {
  createSegmentProber,
  defaultSegmentProber,
  probeSegmentFile,
  type SegmentProbe,
  type SegmentProber,
} from './segment-probe.js';
