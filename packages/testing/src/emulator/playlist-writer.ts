import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface PlaylistEntry {
  /** Segment file name, relative to the playlist. */
  name: string;
  /** Wall-clock ms of the segment's first frame. */
  pdtMs: number;
  /** Real duration in seconds. */
  durationS: number;
}

export interface PlaylistOptions {
  targetDuration: number;
  mediaSequence: number;
  /** Main playlists are `EVENT` playlists; the live one is a plain sliding window. */
  event: boolean;
  ended: boolean;
}

/** Renders a playlist in the layout LiveKit's egress writes. */
export function renderPlaylist(entries: readonly PlaylistEntry[], options: PlaylistOptions): string {
  const longest = entries.reduce((m, e) => Math.max(m, e.durationS), 0);
  const target = Math.max(options.targetDuration, Math.round(longest));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:4', `#EXT-X-TARGETDURATION:${target}`];
  lines.push(`#EXT-X-MEDIA-SEQUENCE:${options.mediaSequence}`);
  if (options.event) lines.push('#EXT-X-PLAYLIST-TYPE:EVENT');
  lines.push('#EXT-X-ALLOW-CACHE:NO');
  for (const e of entries) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Math.floor(e.pdtMs)).toISOString()}`);
    lines.push(`#EXTINF:${e.durationS.toFixed(3)},`);
    lines.push(e.name);
  }
  if (options.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** Replaces a file atomically: readers see the old or the new playlist, never half of one. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  try {
    await writeFile(tmp, content);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
