import type { ReplayNotification, ReplayNotificationType } from '@livekit-replay/core/contract';
import { useEffect, useRef } from 'react';
import { useReplayContext } from './provider.js';

/**
 * Calls `onNotification` once per server event (a duplicate delivery, same id, is dropped),
 * optionally only for some types. Good for toasts.
 */
export function useReplayNotifications(
  onNotification: (notification: ReplayNotification) => void,
  types?: readonly ReplayNotificationType[],
): void {
  const { notifications } = useReplayContext('useReplayNotifications');
  const handler = useRef(onNotification);
  handler.current = onNotification;
  const typeKey = types?.join(',') ?? '';
  useEffect(() => {
    const wanted = typeKey ? new Set(typeKey.split(',')) : null;
    return notifications.subscribe((n) => {
      if (!wanted || wanted.has(n.type)) handler.current(n);
    });
  }, [notifications, typeKey]);
}
