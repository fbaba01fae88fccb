import { PACKET, readPat, readPesHeader, readPmt, type TsLayout } from './ts-reader.js';

/**
 * Whole PES packets of a segment's video and audio streams (for a remux), from the same
 * PAT/PMT/PES header reading as readTs. Payloads stay views into the segment's bytes.
 */
export interface PesUnit {
  /** 90 kHz ticks as written (33-bit, not unwrapped). */
  pts: number;
  dts: number;
  parts: Uint8Array[];
  size: number;
  /** PES_packet_length when the header gives one (0: unbounded, usual for video). */
  declaredSize: number;
}

export interface TsDemuxResult extends TsLayout {
  video: PesUnit[];
  audio: PesUnit[];
  /** Packets that did not start with the sync byte, and bytes after the last whole packet. */
  badPackets: number;
  trailingBytes: number;
  /** A video or audio payload packet arrived with no PES under way, or a PES had no PTS. */
  orphanPayloads: number;
}

export function demuxTs(bytes: Uint8Array): TsDemuxResult {
  const result: TsDemuxResult = {
    programNumber: null,
    pmtPid: null,
    videoPid: null,
    videoCodec: null,
    audioPid: null,
    audioCodec: null,
    video: [],
    audio: [],
    badPackets: 0,
    trailingBytes: bytes.length % PACKET,
    orphanPayloads: 0,
  };
  let video: PesUnit | null = null;
  let audio: PesUnit | null = null;
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
    const body = bytes.subarray(payload, off + PACKET);
    if (pid === 0) {
      if (unitStart && result.pmtPid === null) readPat(body, result);
      continue;
    }
    if (pid === result.pmtPid) {
      if (unitStart && result.videoPid === null) readPmt(body, result);
      continue;
    }
    const isVideo = pid === result.videoPid;
    if (!isVideo && pid !== result.audioPid) continue;
    let unit: PesUnit | null = isVideo ? video : audio;
    if (unitStart) {
      const header = readPesHeader(body);
      if (!header) {
        result.orphanPayloads++;
        unit = null;
      } else {
        const declared = (body[4]! << 8) | body[5]!;
        unit = {
          pts: header.pts,
          dts: header.dts,
          parts: [],
          size: 0,
          declaredSize: declared ? declared + 6 - header.length : 0,
        };
        (isVideo ? result.video : result.audio).push(unit);
        const data = body.subarray(header.length);
        unit.parts.push(data);
        unit.size += data.length;
      }
      if (isVideo) video = unit;
      else audio = unit;
    } else if (unit) {
      unit.parts.push(body);
      unit.size += body.length;
    } else {
      result.orphanPayloads++;
    }
  }
  return result;
}
