import type { ClipRecord, ReplaySession } from './types.js';

/** Event names addressed to a user's UI (delivered through the Notifier port). */
export const ReplayNotificationType = {
  REPLAY_BUFFER_STARTED: 'REPLAY_BUFFER_STARTED',
  REPLAY_BUFFER_STOPPED: 'REPLAY_BUFFER_STOPPED',
  REPLAY_BUFFER_FAILED: 'REPLAY_BUFFER_FAILED',
  CAPTURE_PROGRESS: 'CAPTURE_PROGRESS',
  CLIP_READY: 'CLIP_READY',
  CAPTURE_FAILED: 'CAPTURE_FAILED',
} as const;

export type ReplayNotificationType = (typeof ReplayNotificationType)[keyof typeof ReplayNotificationType];

interface NotificationBase {
  userId: string;
  sessionId: string | null;
  /** ISO timestamp of when the event was raised. */
  at: string;
}

export type ReplayNotification =
  | (NotificationBase & { type: 'REPLAY_BUFFER_STARTED'; session: PublicSession })
  | (NotificationBase & { type: 'REPLAY_BUFFER_STOPPED'; reason: string })
  | (NotificationBase & { type: 'REPLAY_BUFFER_FAILED'; error: string })
  | (NotificationBase & {
      type: 'CAPTURE_PROGRESS';
      captureId: string;
      fraction: number;
      stage?: 'waiting' | 'cutting' | 'storing';
    })
  | (NotificationBase & { type: 'CLIP_READY'; captureId: string; clipId: string })
  | (NotificationBase & { type: 'CAPTURE_FAILED'; captureId: string; code: string; error: string });

/** The part of a session that is safe to send to its user's browser. */
export interface PublicSession {
  id: string;
  status: ReplaySession['status'];
  roomName: string;
  quality: ReplaySession['quality'];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export function toPublicSession(session: ReplaySession): PublicSession {
  return {
    id: session.id,
    status: session.status,
    roomName: session.roomName,
    quality: session.quality,
    createdAt: session.createdAt.toISOString(),
    startedAt: session.startedAt?.toISOString() ?? null,
    endedAt: session.endedAt?.toISOString() ?? null,
  };
}

/** In-process events of a ReplayBufferManager (eventemitter3), for logging and metrics. */
export interface ReplayManagerEvents {
  'session:started': (session: ReplaySession) => void;
  'session:active': (session: ReplaySession) => void;
  'session:ended': (session: ReplaySession) => void;
  'capture:started': (info: { captureId: string; sessionId: string; userId: string }) => void;
  'capture:progress': (info: { captureId: string; fraction: number }) => void;
  'capture:completed': (clip: ClipRecord) => void;
  'capture:failed': (info: { captureId: string; sessionId: string; error: Error }) => void;
  /** Something went wrong in a background path that has no caller to throw to. */
  error: (error: Error) => void;
}
