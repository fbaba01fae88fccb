// Configuration
export {
  parseReplayConfig,
  REPLAY_ENV,
  type ReplayConfig,
  type ReplayConfigInput,
  replayConfigFromEnv,
  replayConfigSchema,
} from './config.js';
// Errors and ids
export {
  isReplayBufferError,
  ReplayBufferError,
  type ReplayBufferErrorOptions,
  ReplayErrorCode,
  replayErrorStatus,
  toReplayBufferError,
} from './errors.js';
// Events
export {
  type PublicSession,
  type ReplayManagerEvents,
  type ReplayNotification,
  ReplayNotificationType,
  toPublicSession,
} from './events.js';
export { assertSafeId, isSafeId, newId, SAFE_ID_PATTERN, safeJoin } from './ids.js';
// LiveKit
export {
  egressStateOf,
  LiveKitEgressGateway,
  type LiveKitEgressGatewayOptions,
  toEgressSnapshot,
} from './livekit/livekit-egress-gateway.js';
export { encodingOptionsFor, QUALITY_PRESETS, qualitySpec, sourceMatchedSpec } from './livekit/quality.js';
// The manager
export * from './manager/index.js';
// Media and segments
export * from './media/index.js';
export * from './memory/index.js';
// Ports
export type {
  ClipFileRecord,
  ClipShareRequest,
  ClipShareResult,
  ClipSharer,
  ClipShareTarget,
} from './ports/clip-sharer.js';
export type { ByteRange, ClipStorage, PendingWrite, PresignGetOptions } from './ports/clip-storage.js';
export type { ClipPage, ClipStore, ListClipsOptions } from './ports/clip-store.js';
export type { CommunityConfigStore, CommunityReplayConfig } from './ports/community-config-store.js';
export type { EgressGateway, StartSegmentedEgressRequest } from './ports/egress-gateway.js';
export type { JobLease, JobLock } from './ports/job-lock.js';
export type { CutRequest, CutResult, MediaPipeline, MediaProbe } from './ports/media-pipeline.js';
export type { Notifier } from './ports/notifier.js';
export type { QuotaLedger, QuotaUsage } from './ports/quota-ledger.js';
export type { RateLimiter } from './ports/rate-limiter.js';
export type {
  ListSegmentsOptions,
  OpenSegmentOptions,
  SegmentSource,
  SegmentSourceFactory,
  SegmentSourceLayout,
} from './ports/segment-source.js';
export type { CreateSessionOptions, SessionStore } from './ports/session-store.js';
export * from './segments/index.js';
// Storage
export { LocalClipStorage } from './storage/local-clip-storage.js';
// Validation shared by every store adapter
export {
  assertByteCount,
  assertExternalId,
  assertNonNegativeInteger,
  assertPositiveInteger,
  type Clock,
  MAX_EXTERNAL_ID_LENGTH,
  newSessionRecord,
} from './store-validation.js';
// Domain types
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
