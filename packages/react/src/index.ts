// @livekit-replay/react: the provider, hooks and components. The client alone: `@livekit-replay/react/client`.
export {
  CaptureReplayModal,
  type CaptureReplayModalProps,
  LIBRARY_DESTINATION,
  type ReplayDestination,
  shareTargetOf,
} from './capture-replay-modal.js';
export { type CapturePhase, type CaptureSnapshot, CaptureStore } from './capture-store.js';
export {
  type BufferStatus,
  type ClipPage,
  createReplayClient,
  type PageQuery,
  type PublicClipPage,
  type ReplayClient,
  type ReplayClientOptions,
  type Thumbnails,
} from './client.js';
export { type ClipActions, ClipLibrary, type ClipLibraryProps } from './clip-library.js';
export { type ClipsSnapshot, ClipsStore } from './clips-store.js';
export { ReplayDialog, type ReplayDialogProps } from './dialog.js';
export { ReplayApiError, type ReplayErrorInfo } from './errors.js';
export { formatBytes, formatDuration } from './format.js';
export {
  connectReplaySocket,
  NotificationHub,
  type ReplayNotificationListener,
  type ReplayNotificationSource,
  type ReplaySocket,
} from './notifications.js';
export { frameStep, previewTimeToWallClock } from './preview-clock.js';
export {
  ReplayBufferProvider,
  type ReplayBufferProviderProps,
  type ReplayContextValue,
  useReplayContext,
} from './provider.js';
export { RangeSlider, type RangeSliderProps } from './range-slider.js';
export {
  type ReplayBufferOptions,
  type ReplayBufferPhase,
  type ReplayBufferSnapshot,
  ReplayBufferStore,
  type SizeEstimate,
} from './replay-buffer-store.js';
export { TrimPreview, type TrimPreviewProps, type TrimRange } from './trim-preview.js';
export { type UseCaptureReplayResult, useCaptureReplay } from './use-capture-replay.js';
export { type UseClipsResult, useClips, usePublicClips } from './use-clips.js';
export {
  type UseReplayBufferOptions,
  type UseReplayBufferResult,
  useReplayBuffer,
} from './use-replay-buffer.js';
export { useReplayNotifications } from './use-replay-notifications.js';
