import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { SegmentedFileOutput } from '@livekit/protocol';
import type { SegmentLayout } from './egress-process.js';

/** Replaces LiveKit's filename template variables that make sense locally. */
function expandTemplate(value: string, roomName: string, nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  const time = iso.slice(0, 19).replace(/:/g, '').replace('T', 'T');
  return value
    .replaceAll('{room_name}', roomName)
    .replaceAll('{time}', time)
    .replaceAll('{utc}', time.replace(/[-T]/g, ''));
}

/**
 * Resolves a `SegmentedFileOutput` to disk paths the way LiveKit's egress does for local
 * output: `filenamePrefix` is a path (absolute, or relative to the egress's working root) whose
 * directory holds the segments and the playlists; an empty prefix becomes `{room_name}-{time}`;
 * playlist names without a directory live next to the segments; `.m3u8` is appended if missing.
 */
export function resolveSegmentLayout(
  output: SegmentedFileOutput,
  root: string,
  roomName: string,
  nowMs: number,
): SegmentLayout {
  const rawPrefix = expandTemplate(output.filenamePrefix || '{room_name}-{time}', roomName, nowMs);
  const prefixPath = isAbsolute(rawPrefix) ? rawPrefix : resolve(root, rawPrefix);
  const dir = dirname(prefixPath);
  const prefix = basename(prefixPath).replace(/\.ts$/, '');
  const place = (name: string) => {
    const withExt = name.endsWith('.m3u8') ? name : `${name}.m3u8`;
    if (isAbsolute(withExt)) return withExt;
    return withExt.includes('/') ? resolve(root, withExt) : join(dir, withExt);
  };
  const playlistName = expandTemplate(output.playlistName || `${prefix}.m3u8`, roomName, nowMs);
  const liveName = output.livePlaylistName
    ? expandTemplate(output.livePlaylistName, roomName, nowMs)
    : undefined;
  return {
    dir,
    prefix,
    suffix: output.filenameSuffix,
    segmentSeconds: output.segmentDuration > 0 ? output.segmentDuration : 4,
    playlistPath: place(playlistName),
    livePlaylistPath: liveName ? place(liveName) : undefined,
  };
}
