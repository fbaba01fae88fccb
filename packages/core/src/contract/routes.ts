/**
 * Every HTTP route of the Nest package, relative to its prefix (default `livekit/replay`).
 * The React client builds URLs from this table, so the two cannot drift.
 */
export const DEFAULT_ROUTE_PREFIX = 'livekit/replay';

export const replayRoutes = {
  // buffer
  start: { method: 'POST', path: 'start' },
  stop: { method: 'POST', path: 'stop' },
  session: { method: 'GET', path: 'session' },
  room: { method: 'GET', path: 'rooms/:roomName' },
  // capture
  capture: { method: 'POST', path: 'capture' },
  stream: { method: 'GET', path: 'stream' },
  // trim preview (the caller's active or just-ended buffer)
  preview: { method: 'GET', path: 'preview' },
  previewPlaylist: { method: 'GET', path: 'preview/playlist.m3u8' },
  previewSegment: { method: 'GET', path: 'preview/segments/:name' },
  thumbnails: { method: 'GET', path: 'preview/thumbnails' },
  thumbnail: { method: 'GET', path: 'preview/thumbnails/:name' },
  // library
  clips: { method: 'GET', path: 'clips' },
  userClips: { method: 'GET', path: 'users/:userId/clips' },
  clip: { method: 'GET', path: 'clips/:clipId' },
  clipFile: { method: 'GET', path: 'clips/:clipId/file' },
  clipPoster: { method: 'GET', path: 'clips/:clipId/poster' },
  updateClip: { method: 'PATCH', path: 'clips/:clipId' },
  shareClip: { method: 'POST', path: 'clips/:clipId/share' },
  deleteClip: { method: 'DELETE', path: 'clips/:clipId' },
  quota: { method: 'GET', path: 'quota' },
  // admin (behind the integrator's admin guard)
  communityConfig: { method: 'GET', path: 'communities/:communityId/replay-config' },
  setCommunityConfig: { method: 'PUT', path: 'communities/:communityId/replay-config' },
  setUserQuota: { method: 'PUT', path: 'users/:userId/quota' },
} as const;

export type ReplayRouteName = keyof typeof replayRoutes;

/** Default path of LiveKit's webhook route (not under the prefix; configurable). */
export const DEFAULT_WEBHOOK_PATH = 'livekit/webhook';

/** Fills `:params` of a route path; every value is URI-encoded. */
export function routePath(name: ReplayRouteName, params: Record<string, string> = {}): string {
  return replayRoutes[name].path.replace(/:([A-Za-z]+)/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined) throw new Error(`route ${name} needs :${key}`);
    return encodeURIComponent(value);
  });
}
