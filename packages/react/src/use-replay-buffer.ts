import type { Room } from 'livekit-client';
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { useReplayContext } from './provider.js';
import {
  type ReplayBufferOptions,
  type ReplayBufferSnapshot,
  ReplayBufferStore,
} from './replay-buffer-store.js';

export interface UseReplayBufferOptions
  extends Omit<ReplayBufferOptions, 'client' | 'room' | 'notifications'> {
  /** The livekit-client Room the local participant shares their screen in. */
  room: Room;
}

export interface UseReplayBufferResult extends ReplayBufferSnapshot {
  /** Re-reads buffered seconds and size estimates now. */
  refresh(): Promise<void>;
}

/**
 * The local participant's replay buffer: started when they share their screen, stopped when
 * they stop; with `autoStart` the server drives it and the hook only shows its state.
 */
export function useReplayBuffer(options: UseReplayBufferOptions): UseReplayBufferResult {
  const { client, notifications } = useReplayContext('useReplayBuffer');
  const { room, autoStart, quality, channelId, communityId, settleMs, pollIntervalMs } = options;
  if (!room) {
    throw new Error('useReplayBuffer needs the livekit-client Room: useReplayBuffer({ room }).');
  }
  const store = useMemo(
    () =>
      new ReplayBufferStore({
        client,
        room,
        notifications,
        autoStart,
        quality,
        channelId,
        communityId,
        settleMs,
        pollIntervalMs,
      }),
    [client, room, notifications, autoStart, quality, channelId, communityId, settleMs, pollIntervalMs],
  );
  useEffect(() => store.attach(), [store]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return useMemo(() => ({ ...snapshot, refresh: () => store.refresh() }), [snapshot, store]);
}
