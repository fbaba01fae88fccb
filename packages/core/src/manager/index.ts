export { type BufferStatus, CAPTURE_PRESETS_SECONDS } from './buffer-status.js';
export { estimateClipBytes } from './capture.js';
export { CaptureSlots } from './capture-slots.js';
export type { AuthorizeContext, AuthorizeHook, ReplayAction } from './context.js';
export type { CaptureReplayInput, StartReplayBufferInput, StopReplayBufferInput } from './inputs.js';
export { type RateLimitWindow, SlidingWindowRateLimiter } from './rate-limiter.js';
export {
  DEFAULT_CAPTURE_RATE_LIMITS,
  ReplayBufferManager,
  type ReplayBufferManagerOptions,
} from './replay-buffer-manager.js';
