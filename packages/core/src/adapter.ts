/**
 * @livekit-replay/core/adapter — what adapter authors (stores, notifiers, locks, storages,
 * media pipelines), contract suites, tools and benchmarks need. Integrators use the main entry.
 */
// Record types and validation every store shares

// Building blocks behind the manager
export { CAPTURE_PRESETS_SECONDS } from './buffer/buffer-status.js';
export type { RoomStatus } from './buffer/room-status.js';
// Media and segments (tools, benchmarks, custom pipelines)
export { assertByteRange, type InclusiveByteRange } from './byte-range.js';
export { reservationBytes } from './capture/range.js';
export {
  type EgressS3UploadInput,
  type EgressWebhook,
  REPLAY_ENV,
  REPLAY_ENV_UNITS,
  type ReplayConfigOverrides,
  replayConfigSchema,
} from './config.js';
export { type ReplayBufferErrorOptions, replayErrorStatus, replayErrorUserMessages } from './errors.js';
export {
  type NotificationBase,
  type PublicSession,
  type ReplayErrorContext,
  toPublicSession,
} from './events.js';
export { assertSafeId, isSafeId, newId, SAFE_ID_PATTERN, safeJoin } from './ids.js';
export { MISSED_SIGHTINGS_TO_END } from './jobs/egress-sightings.js';
export type { OrphanCleanupResult } from './jobs/orphan-cleanup.js';
export type { ReconcileResult } from './jobs/reconcile.js';
export {
  JobScheduler,
  type JobSchedulerOptions,
  type JobTickOutcome,
  LIFECYCLE_JOB_NAMES,
  type LifecycleJob,
  type LifecycleSchedulerOptions,
  type ScheduledJob,
} from './jobs/scheduler.js';
export type { SegmentCleanupResult } from './jobs/segment-cleanup.js';
export type { DirectorySweepResult, TrimResult } from './jobs/segment-retention.js';
export { SegmentWatcher, type SegmentWatcherOptions } from './jobs/segment-watcher.js';
export { type ClipFileStream, type PosterStream, parseRangeHeader } from './library/clip-files.js';
export type { DeleteClipResult, ListClipsInput, ListPublicClipsInput } from './library/clips.js';
export { toFileRecord } from './library/file-record.js';
export type { ShareClipResult } from './library/share.js';
// LiveKit
export {
  egressStateOf,
  egressWebhooks,
  type LiveKitEgressGatewayOptions,
  toEgressSnapshot,
} from './livekit/livekit-egress-gateway.js';
export { encodingOptionsFor, QUALITY_PRESETS, qualitySpec, sourceMatchedSpec } from './livekit/quality.js';
export { DEFAULT_CAPTURE_RATE_LIMITS } from './manager/build-context.js';
export * from './media/index.js';
// In-memory and in-process implementations (reference implementations of the ports)
export * from './memory/index.js';
export { type RateLimitWindow, SlidingWindowRateLimiter } from './memory/sliding-window-rate-limiter.js';
// Port details
export type {
  ClipFileRecord,
  ClipShareRequest,
  ClipShareResult,
  ClipShareTarget,
} from './ports/clip-sharer.js';
export type { ByteRange, PendingWrite, PresignGetOptions } from './ports/clip-storage.js';
export type { ClipPage, ListClipsOptions } from './ports/clip-store.js';
export type { CommunityReplayConfig } from './ports/community-config-store.js';
export type { StartSegmentedEgressRequest } from './ports/egress-gateway.js';
export type { JobLease } from './ports/job-lock.js';
export type { CutRequest, CutResult, MediaProbe } from './ports/media-pipeline.js';
export type { QuotaUsage } from './ports/quota-ledger.js';
export type {
  ListSegmentsOptions,
  OpenSegmentOptions,
  SegmentReader,
  SegmentSource,
  SegmentSourceFactory,
  SegmentSourceLayout,
} from './ports/segment-source.js';
export type { CreateSessionOptions } from './ports/session-store.js';
export {
  buildPreviewPlaylist,
  defaultPreviewUrl,
  type PreviewPlaylist,
  type PreviewSegment,
  previewTimeToWallClock,
  wallClockToPreviewTime,
} from './preview/playlist.js';
export type { PreviewRequest, PreviewSegmentStream } from './preview/preview.js';
export {
  DEFAULT_THUMBNAIL_COUNT,
  DEFAULT_THUMBNAIL_WIDTH,
  MAX_THUMBNAIL_COUNT,
  type ThumbnailOptions,
  type ThumbnailStream,
  type TimelineThumbnail,
  type TimelineThumbnails,
} from './preview/thumbnails.js';
export { CaptureSlots } from './runtime/capture-slots.js';
export type { ManagerContext, ReplayAction, ResolveParticipantHook } from './runtime/context.js';
export { toClipDto, toPublicClipDto } from './runtime/dto.js';
export { type EgressOutcome, egressOutcome } from './runtime/egress-state.js';
export { PREVIEW_CACHE_DIR } from './runtime/preview-cache.js';
export { estimateClipBytes } from './segments/estimate.js';
export * from './segments/index.js';
export { LocalSegmentSource, type LocalSegmentSourceOptions } from './storage/local-segment-source.js';
export {
  assertByteCount,
  assertExternalId,
  assertNonNegativeInteger,
  assertPositiveInteger,
  type Clock,
  MAX_EXTERNAL_ID_LENGTH,
  newSessionRecord,
} from './store-validation.js';
export {
  type ClipMetadata,
  type ClipRecord,
  type ClipVisibility,
  type EgressSnapshot,
  type EgressState,
  LIVE_SESSION_STATUSES,
  type NewSession,
  type QualityPreset,
  type ReplaySession,
  type SegmentNaming,
  type SessionPatch,
  type SessionStatus,
  type SourceDimensions,
} from './types.js';
export { EGRESS_WEBHOOK_EVENTS, type WebhookIgnoredReason } from './webhooks/webhooks.js';
