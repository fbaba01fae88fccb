export { FfmpegMediaPipeline, type FfmpegMediaPipelineOptions, splitRuns } from './ffmpeg-media-pipeline.js';
export { type MaterializedSegments, materializeSegments } from './materialize-segments.js';
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
