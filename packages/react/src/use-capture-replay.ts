import type { CaptureRequest, ClipDto } from '@livekit-replay/core/contract';
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { type CaptureSnapshot, CaptureStore } from './capture-store.js';
import { useReplayContext } from './provider.js';

export interface UseCaptureReplayResult extends CaptureSnapshot {
  /** Saves a clip; resolves with it, or null on failure (then `error.userMessage` says why). */
  capture(request: CaptureRequest): Promise<ClipDto | null>;
  reset(): void;
}

/** Saving a clip: progress from the server's events, the clip, or the reason it failed. */
export function useCaptureReplay(): UseCaptureReplayResult {
  const { client, notifications, clipSaved } = useReplayContext('useCaptureReplay');
  const store = useMemo(() => new CaptureStore(client, notifications), [client, notifications]);
  useEffect(() => store.attach(), [store]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return useMemo(
    () => ({
      ...snapshot,
      capture: async (request: CaptureRequest) => {
        const clip = await store.capture(request);
        if (clip) clipSaved.emit(clip);
        return clip;
      },
      reset: () => store.reset(),
    }),
    [snapshot, store, clipSaved],
  );
}
