export { type BufferStatus, CAPTURE_PRESETS_SECONDS } from './buffer-status.js';
export { estimateClipBytes } from './capture.js';
export { CaptureSlots } from './capture-slots.js';
export {
  type ClipStream,
  type DeleteClipResult,
  type ListClipsPageOptions,
  type ListPublicClipsOptions,
  type PosterStream,
  parseRangeHeader,
  type ShareClipInput,
  type ShareClipResult,
} from './clip-library.js';
export type { AuthorizeContext, AuthorizeHook, ReplayAction } from './context.js';
export { toFileRecord } from './file-record.js';
export type { CaptureReplayInput, StartReplayBufferInput, StopReplayBufferInput } from './inputs.js';
export {
  MISSED_SIGHTINGS_TO_END,
  type OrphanCleanupResult,
  type ReconcileResult,
  type SegmentCleanupResult,
  type TrimResult,
} from './maintenance.js';
export {
  buildPreviewPlaylist,
  defaultPreviewUrl,
  deletePreviewCache,
  PREVIEW_CACHE_DIR,
  type PreviewPlaylist,
  type PreviewSegment,
  type PreviewSegmentStream,
  type PreviewUrlBuilder,
  previewTimeToWallClock,
  sweepPreviewCaches,
  wallClockToPreviewTime,
} from './preview.js';
export { type RateLimitWindow, SlidingWindowRateLimiter } from './rate-limiter.js';
export {
  DEFAULT_CAPTURE_RATE_LIMITS,
  ReplayBufferManager,
  type ReplayBufferManagerOptions,
} from './replay-buffer-manager.js';
export {
  JobScheduler,
  type JobSchedulerOptions,
  type JobTickOutcome,
  LIFECYCLE_JOB_NAMES,
  type LifecycleJob,
  type LifecycleSchedulerOptions,
  type ScheduledJob,
} from './scheduler.js';
export { SegmentWatcher, type SegmentWatcherOptions } from './segment-watcher.js';
export {
  DEFAULT_THUMBNAIL_COUNT,
  DEFAULT_THUMBNAIL_WIDTH,
  MAX_THUMBNAIL_COUNT,
  type ThumbnailOptions,
  type ThumbnailStream,
  type TimelineThumbnail,
  type TimelineThumbnails,
} from './thumbnails.js';
export {
  EGRESS_WEBHOOK_EVENTS,
  type EgressOutcome,
  egressOutcome,
  type WebhookIgnoredReason,
  type WebhookResult,
} from './webhooks.js';
