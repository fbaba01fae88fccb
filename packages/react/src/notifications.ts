import {
  type ReplayNotification,
  ReplayNotificationType,
  replayNotificationSchema,
  SOCKET_NAMESPACE,
} from '@livekit-replay/core/contract';
import type { ReplayClient } from './client.js';

export type ReplayNotificationListener = (notification: ReplayNotification) => void;

/** Anything that delivers server notifications: the socket below, or your own transport. */
export interface ReplayNotificationSource {
  subscribe(listener: ReplayNotificationListener): () => void;
}

/**
 * Fans notifications out to listeners, each notification id once: a socket that reconnects,
 * or a server with several instances, may deliver the same event twice.
 */
export class NotificationHub implements ReplayNotificationSource {
  #listeners = new Set<ReplayNotificationListener>();
  #seen = new Set<string>();
  readonly #memory: number;

  constructor(memory = 1000) {
    this.#memory = memory;
  }

  subscribe(listener: ReplayNotificationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Returns false for a duplicate (dropped). */
  publish(notification: ReplayNotification): boolean {
    if (this.#seen.has(notification.id)) return false;
    this.#seen.add(notification.id);
    // Sets iterate in insertion order: forget the oldest ids first.
    if (this.#seen.size > this.#memory) this.#seen.delete(this.#seen.values().next().value as string);
    for (const listener of [...this.#listeners]) listener(notification);
    return true;
  }

  /** Relays another source (deduplicated here); returns the unsubscribe. */
  relay(source: ReplayNotificationSource): () => void {
    return source.subscribe((n) => this.publish(n));
  }
}

export interface ReplaySocketOptions {
  /** Socket.io server origin; default: the client's base URL. */
  url?: string;
  /** socket.io path (default `/socket.io`). */
  path?: string;
  /** Called with each notification that does not match the contract (default: console.warn). */
  onInvalid?: (payload: unknown, error: Error) => void;
}

/** A live socket.io connection to the notifications namespace. */
export interface ReplaySocket extends ReplayNotificationSource {
  close(): void;
}

/**
 * Connects to the contract namespace and emits one event per notification type. socket.io-client
 * is loaded on first use, so apps that pass their own source never download it.
 */
export function connectReplaySocket(client: ReplayClient, options: ReplaySocketOptions = {}): ReplaySocket {
  const hub = new NotificationHub();
  let closed = false;
  let disconnect: (() => void) | undefined;
  const origin = options.url ?? new URL(client.apiBase).origin;
  const onInvalid =
    options.onInvalid ??
    ((payload: unknown, error: Error) =>
      console.warn('livekit-replay: ignored notification', payload, error));

  void import('socket.io-client').then(({ io }) => {
    if (closed) return;
    const socket = io(`${origin.replace(/\/$/, '')}${SOCKET_NAMESPACE}`, {
      path: options.path,
      withCredentials: client.options.credentials === 'include',
      // Called on every (re)connection, so a refreshed token is used.
      auth: (send) => {
        void Promise.resolve(client.options.getToken?.()).then((token) => send(token ? { token } : {}));
      },
    });
    for (const type of Object.values(ReplayNotificationType)) {
      socket.on(type, (payload: unknown) => {
        const parsed = replayNotificationSchema.safeParse(
          payload && typeof payload === 'object' ? { type, ...payload } : payload,
        );
        if (parsed.success) hub.publish(parsed.data);
        else onInvalid(payload, parsed.error);
      });
    }
    disconnect = () => socket.disconnect();
  });

  return {
    subscribe: (listener) => hub.subscribe(listener),
    close() {
      closed = true;
      disconnect?.();
    },
  };
}
