/** Test helper: writes playlists the way LiveKit egress does (see DESIGN.md "Playlists"). */
export interface PlaylistItem {
  name: string;
  startMs: number;
  durationSeconds: number;
}

export function formatLiveKitPlaylist(
  items: PlaylistItem[],
  options: { ended?: boolean; mediaSequence?: number; lineEnding?: string; omitPdtFor?: Set<string> } = {},
): string {
  const eol = options.lineEnding ?? '\n';
  const target = Math.max(1, ...items.map((i) => Math.ceil(i.durationSeconds)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:4',
    `#EXT-X-TARGETDURATION:${target}`,
    `#EXT-X-MEDIA-SEQUENCE:${options.mediaSequence ?? 0}`,
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXT-X-ALLOW-CACHE:NO',
  ];
  for (const item of items) {
    if (!options.omitPdtFor?.has(item.name)) {
      lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(item.startMs).toISOString()}`);
    }
    lines.push(`#EXTINF:${item.durationSeconds.toFixed(3)},`, item.name);
  }
  if (options.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join(eol) + eol;
}

/** The live playlist: a sliding window of the last `window` segments. */
export function formatLiveKitLivePlaylist(items: PlaylistItem[], window = 5, ended = false): string {
  const first = Math.max(0, items.length - window);
  return formatLiveKitPlaylist(items.slice(first), { mediaSequence: first, ended });
}
