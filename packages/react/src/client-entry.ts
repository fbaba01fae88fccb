// The client without React: `@livekit-replay/react/client`.
export {
  type BufferStatus,
  type ClipPage,
  createReplayClient,
  type DeleteClipResult,
  type PublicClipPage,
  type Quota,
  type ReplayClient,
  type ReplayClientOptions,
  type RoomStatus,
  type ShareClipResult,
  type Thumbnails,
} from './client.js';
export { ReplayApiError, type ReplayErrorInfo, toErrorInfo } from './errors.js';
export {
  connectReplaySocket,
  NotificationHub,
  type ReplayNotificationListener,
  type ReplayNotificationSource,
  type ReplaySocket,
  type ReplaySocketOptions,
} from './notifications.js';
