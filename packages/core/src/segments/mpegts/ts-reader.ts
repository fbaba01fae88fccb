import { type H264Sps, parseH264Sps } from './h264-sps.js';

/**
 * An in-process reader of MPEG-TS headers: enough of PAT, PMT and PES headers to know a
 * segment's stream layout and every video frame's time and keyframe flag, without starting a
 * process. Keyframes are IDR pictures (NAL type 5) found at the start of the frame's PES
 * payload, or, when no slice is found there, the packet's random_access_indicator.
 */
export interface TsVideoFrame {
  /** Presentation and decode times, seconds (90 kHz clock, unwrapped). */
  pts: number;
  dts: number;
  key: boolean;
}

export interface TsLayout {
  programNumber: number | null;
  pmtPid: number | null;
  videoPid: number | null;
  /** `h264`, `hevc`, … from the PMT stream type. */
  videoCodec: string | null;
  audioPid: number | null;
  audioCodec: string | null;
}

export interface TsReadResult extends TsLayout {
  /** Video frames in decode order. */
  frames: TsVideoFrame[];
  sps: H264Sps | null;
}

export const PACKET = 188;
/** How much of each video PES payload is scanned for the first slice (SEI can precede it). */
const SCAN_BYTES = 8192;

const VIDEO_TYPES: Record<number, string> = { 27: 'h264', 36: 'hevc', 2: 'mpeg2video' };
const AUDIO_TYPES: Record<number, string> = { 15: 'aac', 17: 'aac_latm', 3: 'mp3', 4: 'mp3', 129: 'ac3' };

export function readTs(bytes: Uint8Array): TsReadResult {
  const result: TsReadResult = {
    programNumber: null,
    pmtPid: null,
    videoPid: null,
    videoCodec: null,
    audioPid: null,
    audioCodec: null,
    frames: [],
    sps: null,
  };
  let pending: { pts: number; dts: number; rai: boolean; payload: Uint8Array[]; size: number } | null = null;
  const finish = () => {
    if (!pending) return;
    const scan = concat(pending.payload, pending.size);
    const nal = scanNals(scan, !result.sps);
    if (nal.sps) result.sps = nal.sps;
    result.frames.push({
      pts: pending.pts,
      dts: pending.dts,
      key: nal.vcl === null ? pending.rai : nal.vcl === 5,
    });
    pending = null;
  };

  let start = bytes.indexOf(0x47);
  while (start >= 0 && start + PACKET < bytes.length && bytes[start + PACKET] !== 0x47) {
    start = bytes.indexOf(0x47, start + 1);
  }
  for (let off = Math.max(0, start); off + PACKET <= bytes.length; off += PACKET) {
    if (bytes[off] !== 0x47) continue;
    const pid = ((bytes[off + 1]! & 0x1f) << 8) | bytes[off + 2]!;
    const unitStart = (bytes[off + 1]! & 0x40) !== 0;
    const afc = (bytes[off + 3]! >> 4) & 3;
    let payload = off + 4;
    let rai = false;
    if (afc & 2) {
      const afLength = bytes[off + 4]!;
      if (afLength > 0) rai = (bytes[off + 5]! & 0x40) !== 0;
      payload += 1 + afLength;
    }
    if (!(afc & 1) || payload >= off + PACKET) continue;
    const body = bytes.subarray(payload, off + PACKET);
    if (pid === 0 && unitStart && result.pmtPid === null) readPat(body, result);
    else if (pid === result.pmtPid && unitStart && result.videoPid === null) readPmt(body, result);
    else if (pid === result.videoPid && result.videoPid !== null) {
      if (unitStart) {
        finish();
        const header = readPesHeader(body);
        if (header) {
          pending = { pts: header.pts, dts: header.dts, rai, payload: [], size: 0 };
          const data = body.subarray(header.length);
          pending.payload.push(data);
          pending.size += data.length;
        }
      } else if (pending && pending.size < SCAN_BYTES) {
        pending.payload.push(body);
        pending.size += body.length;
      }
    }
  }
  finish();
  unwrap(result.frames);
  return result;
}

export function readPat(body: Uint8Array, out: TsLayout): void {
  const section = body.subarray(1 + body[0]!);
  const length = ((section[1]! & 0x0f) << 8) | section[2]!;
  for (let i = 8; i + 4 <= Math.min(section.length, 3 + length - 4); i += 4) {
    const program = (section[i]! << 8) | section[i + 1]!;
    if (program === 0) continue;
    out.programNumber = program;
    out.pmtPid = ((section[i + 2]! & 0x1f) << 8) | section[i + 3]!;
    return;
  }
}

export function readPmt(body: Uint8Array, out: TsLayout): void {
  const section = body.subarray(1 + body[0]!);
  const length = ((section[1]! & 0x0f) << 8) | section[2]!;
  const end = Math.min(section.length, 3 + length - 4);
  let i = 12 + (((section[10]! & 0x0f) << 8) | section[11]!);
  while (i + 5 <= end) {
    const type = section[i]!;
    const pid = ((section[i + 1]! & 0x1f) << 8) | section[i + 2]!;
    if (out.videoPid === null && VIDEO_TYPES[type]) {
      out.videoPid = pid;
      out.videoCodec = VIDEO_TYPES[type]!;
    } else if (out.audioPid === null && AUDIO_TYPES[type]) {
      out.audioPid = pid;
      out.audioCodec = AUDIO_TYPES[type]!;
    }
    i += 5 + (((section[i + 3]! & 0x0f) << 8) | section[i + 4]!);
  }
}

export function readPesHeader(body: Uint8Array): { pts: number; dts: number; length: number } | null {
  if (body.length < 9 || body[0] !== 0 || body[1] !== 0 || body[2] !== 1) return null;
  const flags = body[7]!;
  const length = 9 + body[8]!;
  if (!(flags & 0x80) || body.length < 14) return null;
  const pts = readTimestamp(body, 9);
  const dts = flags & 0x40 && body.length >= 19 ? readTimestamp(body, 14) : pts;
  return { pts, dts, length: Math.min(length, body.length) };
}

function readTimestamp(b: Uint8Array, i: number): number {
  return (
    ((b[i]! >> 1) & 0x07) * 2 ** 30 +
    ((b[i + 1]! << 7) | (b[i + 2]! >> 1)) * 2 ** 15 +
    ((b[i + 3]! << 7) | (b[i + 4]! >> 1))
  );
}

/** The first slice's NAL type (1 or 5) and, when asked, the SPS before it. */
function scanNals(data: Uint8Array, wantSps: boolean): { vcl: number | null; sps: H264Sps | null } {
  let sps: H264Sps | null = null;
  let i = 0;
  while (i + 3 < data.length) {
    if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 1) {
      i++;
      continue;
    }
    const type = data[i + 3]! & 0x1f;
    if (type === 1 || type === 5) return { vcl: type, sps };
    if (type === 7 && wantSps && !sps) {
      let end = i + 3;
      while (end + 2 < data.length && !(data[end] === 0 && data[end + 1] === 0 && data[end + 2]! <= 1)) end++;
      sps = parseH264Sps(data.subarray(i + 3, end + 2 < data.length ? end : data.length));
    }
    i += 3;
  }
  return { vcl: null, sps };
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(Math.min(size, SCAN_BYTES + PACKET));
  let n = 0;
  for (const part of parts) {
    const take = Math.min(part.length, out.length - n);
    out.set(part.subarray(0, take), n);
    n += take;
    if (n >= out.length) break;
  }
  return out.subarray(0, n);
}

/** 90 kHz ticks → seconds, undoing a 33-bit wrap inside the file. */
function unwrap(frames: TsVideoFrame[]): void {
  const WRAP = 2 ** 33;
  const base = frames[0]?.dts ?? 0;
  for (const f of frames) {
    if (f.dts < base - WRAP / 2) f.dts += WRAP;
    if (f.pts < base - WRAP / 2) f.pts += WRAP;
    f.pts /= 90_000;
    f.dts /= 90_000;
  }
}
