import { NativeRemuxUnsupported } from './unsupported.js';

/** One H.264 picture as MP4 stores it: NAL units prefixed with their 4-byte lengths. */
export interface H264Sample {
  data: Buffer;
  key: boolean;
}

const START_CODE = Buffer.from([0, 0, 1]);

/** First SPS and PPS of the stream, kept for avcC; a different one later is refused. */
export class H264ParameterSets {
  sps: Buffer | null = null;
  pps: Buffer | null = null;

  accept(type: number, nal: Buffer): void {
    const slot = type === 7 ? 'sps' : 'pps';
    const known = this[slot];
    if (!known) this[slot] = Buffer.from(nal);
    else if (!known.equals(nal)) throw new NativeRemuxUnsupported(`the H.264 ${slot.toUpperCase()} changes`);
  }
}

/**
 * Annex B access unit (start codes) → length-prefixed sample. Every NAL is kept (as a
 * stream copy does); SPS/PPS are also collected for the sample description.
 */
export function annexBToSample(parts: Uint8Array[], size: number, sets: H264ParameterSets): H264Sample {
  const au =
    parts.length === 1 ? Buffer.from(parts[0]!.buffer, parts[0]!.byteOffset, size) : concat(parts, size);
  const starts: number[] = [];
  let at = au.indexOf(START_CODE, 0);
  while (at >= 0) {
    starts.push(at + 3);
    at = au.indexOf(START_CODE, at + 3);
  }
  if (starts.length === 0) throw new NativeRemuxUnsupported('a video packet holds no H.264 start code');
  const ranges: [number, number][] = [];
  let total = 0;
  for (let i = 0; i < starts.length; i++) {
    const begin = starts[i]!;
    let end = i + 1 < starts.length ? starts[i + 1]! - 3 : au.length;
    // Trailing zero bytes (and a 4-byte start code's leading zero) belong to no NAL.
    while (end > begin && au[end - 1] === 0) end--;
    if (end <= begin) continue;
    ranges.push([begin, end]);
    total += 4 + end - begin;
  }
  const out = Buffer.allocUnsafe(total);
  let key = false;
  let sawSlice = false;
  let n = 0;
  for (const [begin, end] of ranges) {
    const type = au[begin]! & 0x1f;
    if (!sawSlice && (type === 1 || type === 5)) {
      sawSlice = true;
      key = type === 5;
    }
    if (type === 7 || type === 8) sets.accept(type, au.subarray(begin, end));
    out.writeUInt32BE(end - begin, n);
    au.copy(out, n + 4, begin, end);
    n += 4 + end - begin;
  }
  return { data: out, key };
}

function concat(parts: Uint8Array[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let n = 0;
  for (const part of parts) {
    out.set(part, n);
    n += part.length;
  }
  return out;
}
