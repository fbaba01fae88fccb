/**
 * @livekit-replay/core — what an integrator uses. Adapter authors: `@livekit-replay/core/adapter`;
 * the browser-safe HTTP contract: `@livekit-replay/core/contract`.
 */
// The manager and its options

export type { ReplayStream } from './capture/stream.js';
// Configuration
export {
  parseReplayConfig,
  type ReplayConfig,
  type ReplayConfigInput,
  replayConfigFromEnv,
} from './config.js';
// Results (the contract's DTOs)
export type {
  BufferStatusDto,
  ClipDto,
  PreviewDto,
  PublicClipDto,
  PublicSessionDto,
  QuotaDto,
  RoomStatusDto,
  ShareTarget,
  ThumbnailsDto,
} from './contract/schemas.js';
// Errors
export { isReplayBufferError, ReplayBufferError, ReplayErrorCode, toReplayBufferError } from './errors.js';
// Events and notifications
export { type ReplayManagerEvents, type ReplayNotification, ReplayNotificationType } from './events.js';
export { LiveKitEgressGateway } from './livekit/livekit-egress-gateway.js';
export type {
  ReplayBufferManagerOptions,
  ReplayCoordination,
  ReplayHooks,
  ReplayStores,
} from './manager/options.js';
export { ReplayBufferManager } from './manager/replay-buffer-manager.js';
// Default implementations worth choosing explicitly
export { createMemoryStores } from './memory/create-memory-stores.js';
// Ports an integrator passes
export type { ClipFileRecords } from './ports/clip-file-records.js';
export type { ClipSharer } from './ports/clip-sharer.js';
export type { ClipStorage } from './ports/clip-storage.js';
export type { ClipStore } from './ports/clip-store.js';
export type { CommunityConfigStore } from './ports/community-config-store.js';
export type { EgressGateway } from './ports/egress-gateway.js';
export type { JobLock } from './ports/job-lock.js';
export type { MediaPipeline } from './ports/media-pipeline.js';
export type { Notifier } from './ports/notifier.js';
export type { QuotaLedger } from './ports/quota-ledger.js';
export type { RateLimiter } from './ports/rate-limiter.js';
export type { SessionStore } from './ports/session-store.js';
export type { AuthorizeContext, AuthorizeHook, PreviewUrlBuilder } from './runtime/context.js';
export type {
  CaptureReplayInput,
  StartReplayBufferInput,
  StopReplayBufferInput,
  StreamReplayInput,
} from './runtime/inputs.js';
export { LocalClipStorage } from './storage/local-clip-storage.js';
export { LocalSegmentSourceFactory } from './storage/local-segment-source.js';
export type { WebhookResult } from './webhooks/webhooks.js';
