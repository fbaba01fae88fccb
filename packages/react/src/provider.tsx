import type { ClipDto } from '@livekit-replay/core/contract';
import { createContext, type ReactNode, useContext, useEffect, useMemo } from 'react';
import type { ReplayClient } from './client.js';
import { connectReplaySocket, NotificationHub, type ReplayNotificationSource } from './notifications.js';

export interface ReplayContextValue {
  client: ReplayClient;
  /** Every server notification, each id once. */
  notifications: NotificationHub;
  /** Tells the caller's clip lists about a clip this page just saved. */
  clipSaved: { emit(clip: ClipDto): void; subscribe(listener: (clip: ClipDto) => void): () => void };
}

const ReplayContext = createContext<ReplayContextValue | null>(null);

export interface ReplayBufferProviderProps {
  client: ReplayClient;
  /**
   * Where notifications come from: `'socket'` (default) connects socket.io to the client's
   * origin, `false` disables them, or pass your own source (e.g. an existing socket).
   */
  notifications?: 'socket' | false | ReplayNotificationSource;
  children?: ReactNode;
}

export function ReplayBufferProvider({
  client,
  notifications = 'socket',
  children,
}: ReplayBufferProviderProps) {
  const value = useMemo<ReplayContextValue>(() => {
    const saved = new Set<(clip: ClipDto) => void>();
    return {
      client,
      notifications: new NotificationHub(),
      clipSaved: {
        emit: (clip) => {
          for (const listener of [...saved]) listener(clip);
        },
        subscribe: (listener) => {
          saved.add(listener);
          return () => saved.delete(listener);
        },
      },
    };
  }, [client]);

  useEffect(() => {
    if (notifications === false) return;
    if (notifications === 'socket') {
      const socket = connectReplaySocket(client);
      const stop = value.notifications.relay(socket);
      return () => {
        stop();
        socket.close();
      };
    }
    return value.notifications.relay(notifications);
  }, [client, notifications, value]);

  return <ReplayContext.Provider value={value}>{children}</ReplayContext.Provider>;
}

/** The provider's value; throws a clear error outside one. */
export function useReplayContext(hookName = 'useReplayContext'): ReplayContextValue {
  const value = useContext(ReplayContext);
  if (!value) {
    throw new Error(
      `${hookName} must be used inside <ReplayBufferProvider client={createReplayClient(...)}>. ` +
        'Wrap the part of your app that uses livekit-replay in it.',
    );
  }
  return value;
}
