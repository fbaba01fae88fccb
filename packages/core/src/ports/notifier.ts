import type { ReplayNotification } from '../events.js';

/**
 * Delivers events addressed to a user to wherever that user's UI is connected
 * (in-process listeners, Redis pub/sub fan-out, a WebSocket gateway).
 */
export interface Notifier {
  publish(notification: ReplayNotification): Promise<void>;
  /** Listens to every notification; returns an unsubscribe function. */
  subscribe(listener: (notification: ReplayNotification) => void): Promise<() => Promise<void>>;
}
