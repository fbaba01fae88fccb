import { type RefObject, useEffect, useState } from 'react';
import type { ReplayClient } from './client.js';

export type HlsState = 'loading' | 'ready' | 'error';

/**
 * Plays an HLS playlist in a <video> with hls.js (loaded on first use, so the entry point
 * stays small), or natively where the browser plays HLS itself (Safari).
 */
export function useHls(
  video: RefObject<HTMLVideoElement | null>,
  src: string | null,
  client: ReplayClient,
): HlsState {
  const [state, setState] = useState<HlsState>('loading');
  useEffect(() => {
    const element = video.current;
    if (!element || !src) return;
    let destroyed = false;
    let destroy = () => {};
    setState('loading');
    const onReady = () => setState('ready');
    element.addEventListener('loadedmetadata', onReady);
    void (async () => {
      const [{ default: Hls }, token] = await Promise.all([import('hls.js'), client.options.getToken?.()]);
      if (destroyed) return;
      if (!Hls.isSupported()) {
        if (element.canPlayType('application/vnd.apple.mpegurl')) element.src = src;
        else setState('error');
        return;
      }
      const hls = new Hls({
        xhrSetup: (xhr) => {
          xhr.withCredentials = client.options.credentials === 'include';
          if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
        },
      });
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (data.fatal) setState('error');
      });
      hls.loadSource(src);
      hls.attachMedia(element);
      destroy = () => hls.destroy();
    })().catch(() => setState('error'));
    return () => {
      destroyed = true;
      element.removeEventListener('loadedmetadata', onReady);
      destroy();
    };
  }, [video, src, client]);
  return state;
}
