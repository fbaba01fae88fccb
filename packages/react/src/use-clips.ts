import type { ClipDto, PublicClipDto, ShareTarget } from '@livekit-replay/core/contract';
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { type ClipsSnapshot, ClipsStore } from './clips-store.js';
import { useReplayContext } from './provider.js';

export interface UseClipsResult<C> extends ClipsSnapshot<C> {
  loadMore(): Promise<void>;
  refresh(): Promise<void>;
  deleteClip(clipId: string): Promise<void>;
  setVisibility(clipId: string, visibility: 'public' | 'private'): Promise<void>;
  share(clipId: string, target: ShareTarget): Promise<void>;
}

function useClipsStore<C extends ClipDto | PublicClipDto>(store: ClipsStore<C>): UseClipsResult<C> {
  useEffect(() => {
    void store.loadMore();
    return store.attach();
  }, [store]);
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  return useMemo(
    () => ({
      ...snapshot,
      loadMore: () => store.loadMore(),
      refresh: () => store.refresh(),
      deleteClip: (id: string) => store.deleteClip(id),
      setVisibility: (id: string, visibility: 'public' | 'private') => store.setVisibility(id, visibility),
      share: (id: string, target: ShareTarget) => store.share(id, target),
    }),
    [snapshot, store],
  );
}

/** The caller's clips, newest first, a page at a time; clips saved meanwhile appear on top. */
export function useClips(options: { pageSize?: number } = {}): UseClipsResult<ClipDto> {
  const { client, notifications, clipSaved } = useReplayContext('useClips');
  const { pageSize } = options;
  const store = useMemo(
    () =>
      new ClipsStore<ClipDto>(
        client,
        (cursor) => client.listClips({ cursor, limit: pageSize }),
        notifications,
        true,
      ),
    [client, notifications, pageSize],
  );
  useEffect(() => clipSaved.subscribe((clip) => store.addClip(clip)), [clipSaved, store]);
  return useClipsStore(store);
}

/** A user's public clips (what anyone may see). */
export function usePublicClips(
  userId: string,
  options: { pageSize?: number } = {},
): UseClipsResult<PublicClipDto> {
  const { client } = useReplayContext('usePublicClips');
  const { pageSize } = options;
  const store = useMemo(
    () =>
      new ClipsStore<PublicClipDto>(client, (cursor) =>
        client.listUserClips(userId, { cursor, limit: pageSize }),
      ),
    [client, userId, pageSize],
  );
  return useClipsStore(store);
}
