export { signWebhook, verifyEgressAuth } from './auth.js';
export { runEmulatorCli } from './cli-main.js';
export type { SegmentLayout, SegmentRecord } from './egress-process.js';
export {
  EgressEmulator,
  type EgressEmulatorOptions,
  type EmulatedEgress,
  startEgressEmulator,
} from './emulator.js';
export { type ResolvedEncoding, resolveEncoding } from './encoding.js';
export {
  EmulatorFaults,
  type WebhookEventSummary,
  type WebhookFaultAction,
  type WebhookFaultRates,
} from './faults.js';
export { boundaryFrame } from './ffmpeg-args.js';
export { type PlaylistEntry, type PlaylistOptions, renderPlaylist } from './playlist-writer.js';
export {
  EmulatedRooms,
  type EmulatedScreenShare,
  type RoomWebhookLogEntry,
  type RoomWebhookName,
} from './room-events.js';
export { type TwirpCode, TwirpError } from './twirp-error.js';
export type { EgressWebhookName, WebhookLogEntry } from './webhooks.js';
