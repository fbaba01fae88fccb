export { resolveFfmpegPath, resolveFfprobePath } from './binaries.js';
export { FfmpegMediaPipeline, type FfmpegMediaPipelineOptions, splitRuns } from './ffmpeg-media-pipeline.js';
export {
  FRAGMENT_CACHE_DIR,
  FragmentCache,
  type FragmentCacheOptions,
  type FragmentCacheStats,
} from './fragment-cache.js';
export { sha256File } from './probe.js';
