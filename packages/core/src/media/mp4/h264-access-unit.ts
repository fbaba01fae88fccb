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
 * stream copy does); SPS/PPS are also collected for the sample description. When every start
 * code is 4 bytes (x264's usual output) the lengths overwrite them in place: no copy.
 */
export function annexBToSample(
  au: Buffer,
  sets: H264ParameterSets,
  allocate: (size: number) => Buffer = Buffer.allocUnsafe,
): H264Sample {
  const nals: [number, number][] = [];
  let at = au.indexOf(START_CODE, 0);
  while (at >= 0) {
    const begin = at + 3;
    at = au.indexOf(START_CODE, begin);
    let end = at >= 0 ? at : au.length;
    // Trailing zero bytes (and a 4-byte start code's leading zero) belong to no NAL.
    while (end > begin && au[end - 1] === 0) end--;
    if (end > begin) nals.push([begin, end]);
  }
  if (nals.length === 0) throw new NativeRemuxUnsupported('a video packet holds no H.264 start code');
  let key = false;
  let sawSlice = false;
  let inPlace = nals[0]![0] === 4;
  let total = 0;
  for (const [i, [begin, end]] of nals.entries()) {
    const type = au[begin]! & 0x1f;
    if (!sawSlice && (type === 1 || type === 5)) {
      sawSlice = true;
      key = type === 5;
    }
    if (type === 7 || type === 8) sets.accept(type, au.subarray(begin, end));
    total += 4 + end - begin;
    // In place when each NAL ends right where the next 4-byte start code begins.
    if ((nals[i + 1]?.[0] ?? au.length + 4) - 4 !== end) inPlace = false;
  }
  if (inPlace) {
    for (const [begin, end] of nals) au.writeUInt32BE(end - begin, begin - 4);
    return { data: au, key };
  }
  const out = allocate(total);
  let n = 0;
  for (const [begin, end] of nals) {
    out.writeUInt32BE(end - begin, n);
    au.copy(out, n + 4, begin, end);
    n += 4 + end - begin;
  }
  return { data: out, key };
}
