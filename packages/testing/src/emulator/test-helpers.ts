import { resolveFfprobePath, runMedia } from '@livekit-replay/core/adapter';

/** A parsed HLS media playlist (only what LiveKit writes). */
export interface ParsedPlaylist {
  version: number;
  targetDuration: number;
  mediaSequence: number;
  playlistType: string | undefined;
  allowCache: string | undefined;
  ended: boolean;
  entries: Array<{ pdtMs: number; pdt: string; duration: number; durationText: string; uri: string }>;
  lines: string[];
}

/** Strict parser for the playlist layout LiveKit writes; throws on anything unexpected. */
export function parsePlaylist(text: string): ParsedPlaylist {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '#EXTM3U') throw new Error(`playlist does not start with #EXTM3U: ${lines[0]}`);
  const out: ParsedPlaylist = {
    version: Number.NaN,
    targetDuration: Number.NaN,
    mediaSequence: Number.NaN,
    playlistType: undefined,
    allowCache: undefined,
    ended: false,
    entries: [],
    lines,
  };
  let pdt: string | undefined;
  let extinf: string | undefined;
  for (const line of lines.slice(1)) {
    const [tag, value = ''] = line.startsWith('#') ? splitTag(line) : [line, ''];
    if (tag === '#EXT-X-VERSION') out.version = Number(value);
    else if (tag === '#EXT-X-TARGETDURATION') out.targetDuration = Number(value);
    else if (tag === '#EXT-X-MEDIA-SEQUENCE') out.mediaSequence = Number(value);
    else if (tag === '#EXT-X-PLAYLIST-TYPE') out.playlistType = value;
    else if (tag === '#EXT-X-ALLOW-CACHE') out.allowCache = value;
    else if (tag === '#EXT-X-ENDLIST') out.ended = true;
    else if (tag === '#EXT-X-PROGRAM-DATE-TIME') pdt = value;
    else if (tag === '#EXTINF') extinf = value;
    else if (!line.startsWith('#')) {
      if (pdt === undefined || extinf === undefined) throw new Error(`segment ${line} lacks PDT or EXTINF`);
      if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(pdt)) throw new Error(`bad PDT ${pdt}`);
      if (!/^\d+\.\d{3},$/.test(extinf)) throw new Error(`bad EXTINF ${extinf}`);
      out.entries.push({
        pdt,
        pdtMs: Date.parse(pdt),
        durationText: extinf.slice(0, -1),
        duration: Number(extinf.slice(0, -1)),
        uri: line,
      });
      pdt = undefined;
      extinf = undefined;
    } else throw new Error(`unexpected tag ${line}`);
  }
  return out;
}

function splitTag(line: string): [string, string] {
  const i = line.indexOf(':');
  return i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 1)];
}

/** Video packets of a file: pts (s) and keyframe flag, via ffprobe. */
export async function probeVideoPackets(path: string): Promise<Array<{ pts: number; key: boolean }>> {
  const { stdout } = await runMedia({
    binary: resolveFfprobePath(),
    args: [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'packet=pts_time,flags',
      '-of',
      'csv=p=0',
      path,
    ],
  });
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pts, flags = ''] = l.split(',');
      return { pts: Number(pts), key: flags.includes('K') };
    });
}

/** Stream facts via ffprobe (codec names, sizes, rates). */
export async function probeStreams(path: string): Promise<Array<Record<string, string | number>>> {
  const { stdout } = await runMedia({
    binary: resolveFfprobePath(),
    args: ['-v', 'error', '-show_streams', '-of', 'json', path],
  });
  return (JSON.parse(stdout) as { streams: Array<Record<string, string | number>> }).streams;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
