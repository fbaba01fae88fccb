import type { PublicSessionDto, ReplayNotification } from './contract/index.js';
import type { ClipRecord, ReplaySession } from './types.js';

export type { ReplayNotification } from './contract/notifications.js';
// One definition of what a UI is told: the browser-safe contract's.
export { ReplayNotificationType } from './contract/notifications.js';

/** Fields every notification about a session carries. */
export type NotificationBase = Pick<
  ReplayNotification,
  'id' | 'userId' | 'sessionId' | 'egressId' | 'roomName' | 'channelId' | 'at'
>;

/** The part of a session that is safe to send to its user's browser. */
export type PublicSession = PublicSessionDto;

export function toPublicSession(session: ReplaySession): PublicSessionDto {
  return {
    id: session.id,
    status: session.status,
    roomName: session.roomName,
    channelId: session.channelId,
    egressId: session.egressId,
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
  /**
   * Something went wrong in a path that has no caller to throw to (a background job, a cleanup
   * after a failure). `context` says what was being done and to what.
   */
  error: (error: Error, context?: ReplayErrorContext) => void;
  /** Something works but not as the integrator probably wants (e.g. in-memory stores). */
  warning: (warning: { code: string; message: string }) => void;
}

export interface ReplayErrorContext {
  /** What was being done, e.g. `releasing the quota reservation`. */
  operation: string;
  sessionId?: string;
  clipId?: string;
  userId?: string;
  egressId?: string;
  path?: string;
}
