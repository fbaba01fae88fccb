export { resolveFfmpegPath, resolveFfprobePath } from './binaries.js';
export { FfmpegMediaPipeline, type FfmpegMediaPipelineOptions, splitRuns } from './ffmpeg-media-pipeline.js';
export { sha256File } from './probe.js';
