/**
 * What the server tells a user's UI (socket.io events, one event name per type, the seed's names).
 * Every notification has an `id`, so a client can drop a duplicate delivery.
 */
import { z } from 'zod';
import { clipSchema, publicSessionSchema } from './schemas.js';

export const ReplayNotificationType = {
  REPLAY_BUFFER_STARTED: 'REPLAY_BUFFER_STARTED',
  REPLAY_BUFFER_STOPPED: 'REPLAY_BUFFER_STOPPED',
  REPLAY_BUFFER_FAILED: 'REPLAY_BUFFER_FAILED',
  CAPTURE_PROGRESS: 'CAPTURE_PROGRESS',
  CLIP_READY: 'CLIP_READY',
  CAPTURE_FAILED: 'CAPTURE_FAILED',
} as const;
export type ReplayNotificationType = (typeof ReplayNotificationType)[keyof typeof ReplayNotificationType];

const base = {
  /** Unique per notification: the same event delivered twice carries the same id. */
  id: z.string(),
  userId: z.string(),
  sessionId: z.string().nullable(),
  egressId: z.string().nullable(),
  roomName: z.string().nullable(),
  channelId: z.string().nullable(),
  /** ISO instant the event was raised. */
  at: z.string(),
};

export const replayNotificationSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('REPLAY_BUFFER_STARTED'), session: publicSessionSchema }),
  z.object({ ...base, type: z.literal('REPLAY_BUFFER_STOPPED'), reason: z.string() }),
  z.object({
    ...base,
    type: z.literal('REPLAY_BUFFER_FAILED'),
    code: z.string(),
    error: z.string(),
    userMessage: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('CAPTURE_PROGRESS'),
    captureId: z.string(),
    /** 0..1 */
    fraction: z.number(),
    /** What the save is doing: waiting for the live edge, cutting, storing. */
    stage: z.enum(['waiting', 'cutting', 'storing']).optional(),
  }),
  z.object({
    ...base,
    type: z.literal('CLIP_READY'),
    captureId: z.string(),
    clipId: z.string(),
    clip: clipSchema.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('CAPTURE_FAILED'),
    captureId: z.string(),
    code: z.string(),
    error: z.string(),
    userMessage: z.string(),
  }),
]);
export type ReplayNotification = z.infer<typeof replayNotificationSchema>;

/** socket.io: the client receives every notification under its `type` as the event name. */
export const SOCKET_NAMESPACE = '/livekit-replay';
