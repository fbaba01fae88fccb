import { PACKET, readPat, readPesHeader, readPmt, type TsLayout } from './ts-reader.js';

/**
 * A segment's video and audio elementary streams for a remux, from the same PAT/PMT/PES header
 * reading as readTs: each stream's payload bytes gathered into one contiguous buffer, and its
 * PES packets as byte ranges of that buffer (no per-packet objects). The video payload is
 * compacted in place at the front of `bytes` (it only ever moves backwards), so `bytes` is
 * consumed: read anything else from it first.
 */
export interface PesRange {
  /** 90 kHz ticks as written (33-bit, not unwrapped). */
  pts: number;
  dts: number;
  start: number;
  end: number;
  /** Payload bytes the PES header announces (0: unbounded, usual for video). */
  declaredSize: number;
}

export interface ElementaryStream {
  data: Buffer;
  units: PesRange[];
}

export interface TsDemuxResult extends TsLayout {
  video: ElementaryStream;
  audio: ElementaryStream;
  /** Packets that did not start with the sync byte, and bytes after the last whole packet. */
  badPackets: number;
  trailingBytes: number;
  /** Payload packets of a stream with no PES under way, or PES headers without a PTS. */
  orphanPayloads: number;
}

export function demuxTs(bytes: Buffer, audioScratch?: Buffer): TsDemuxResult {
  const result: TsDemuxResult = {
    programNumber: null,
    pmtPid: null,
    videoPid: null,
    videoCodec: null,
    audioPid: null,
    audioCodec: null,
    video: { data: bytes, units: [] },
    // Audio is a few percent of a segment; grown if a stream has more.
    audio: { data: audioScratch ?? Buffer.allocUnsafe(Math.max(4096, bytes.length >> 3)), units: [] },
    badPackets: 0,
    trailingBytes: bytes.length % PACKET,
    orphanPayloads: 0,
  };
  let video: PesRange | null = null;
  let audio: PesRange | null = null;
  let videoAt = 0;
  let audioAt = 0;
  const end = bytes.length - result.trailingBytes;
  for (let off = 0; off < end; off += PACKET) {
    if (bytes[off] !== 0x47) {
      result.badPackets++;
      continue;
    }
    const pid = ((bytes[off + 1]! & 0x1f) << 8) | bytes[off + 2]!;
    const unitStart = (bytes[off + 1]! & 0x40) !== 0;
    const afc = (bytes[off + 3]! >> 4) & 3;
    let payload = off + 4;
    if (afc & 2) payload += 1 + bytes[off + 4]!;
    if (!(afc & 1) || payload >= off + PACKET) continue;
    if (pid === 0 || pid === result.pmtPid) {
      if (!unitStart) continue;
      const body = bytes.subarray(payload, off + PACKET);
      if (pid === 0 && result.pmtPid === null) readPat(body, result);
      else if (pid !== 0 && result.videoPid === null) readPmt(body, result);
      continue;
    }
    const isVideo = pid === result.videoPid;
    if (!isVideo && pid !== result.audioPid) continue;
    const stream = isVideo ? result.video : result.audio;
    let unit: PesRange | null = isVideo ? video : audio;
    let at = isVideo ? videoAt : audioAt;
    if (unitStart) {
      const header = readPesHeader(bytes.subarray(payload, off + PACKET));
      unit = null;
      if (!header) result.orphanPayloads++;
      else {
        const declared = (bytes[payload + 4]! << 8) | bytes[payload + 5]!;
        unit = {
          pts: header.pts,
          dts: header.dts,
          start: at,
          end: at,
          declaredSize: declared ? declared + 6 - header.length : 0,
        };
        stream.units.push(unit);
        payload += header.length;
      }
    } else if (!unit) result.orphanPayloads++;
    if (unit) {
      const length = off + PACKET - payload;
      if (isVideo) bytes.copyWithin(at, payload, off + PACKET);
      else {
        if (at + length > result.audio.data.length) result.audio.data = grow(result.audio.data, at + length);
        bytes.copy(result.audio.data, at, payload, off + PACKET);
      }
      at += length;
      unit.end = at;
    }
    if (isVideo) {
      video = unit;
      videoAt = at;
    } else {
      audio = unit;
      audioAt = at;
    }
  }
  result.video.data = result.video.data.subarray(0, videoAt);
  result.audio.data = result.audio.data.subarray(0, audioAt);
  return result;
}

function grow(buffer: Buffer, needed: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(needed, buffer.length * 2));
  buffer.copy(bigger);
  return bigger;
}
