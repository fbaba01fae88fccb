/** What the head re-encode must match, read from an H.264 sequence parameter set. */
export interface H264Sps {
  profileIdc: number;
  levelIdc: number;
  chromaFormatIdc: number;
  width: number;
  height: number;
  /** VUI colour description as ffmpeg names it, when the SPS carries one. */
  colorPrimaries: string | null;
  colorTransfer: string | null;
  colorSpace: string | null;
  colorRange: 'tv' | 'pc' | null;
}

const PRIMARIES: Record<number, string> = { 1: 'bt709', 5: 'bt470bg', 6: 'smpte170m', 9: 'bt2020' };
const TRANSFERS: Record<number, string> = { 1: 'bt709', 6: 'smpte170m', 13: 'iec61966-2-1', 14: 'bt2020-10' };
const MATRICES: Record<number, string> = { 1: 'bt709', 5: 'bt470bg', 6: 'smpte170m', 9: 'bt2020nc' };
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

class BitReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  bit(): number {
    const byte = this.bytes[this.pos >> 3];
    if (byte === undefined) throw new RangeError('SPS ended early');
    const value = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return value;
  }
  bits(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++) value = value * 2 + this.bit();
    return value;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new RangeError('bad exp-Golomb code');
    }
    return 2 ** zeros - 1 + this.bits(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 ? (k + 1) / 2 : -k / 2;
  }
}

/** Removes emulation-prevention bytes (00 00 03 → 00 00). */
function unescapeRbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let n = 0;
  let zeros = 0;
  for (const byte of nal) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[n++] = byte;
  }
  return out.subarray(0, n);
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses an SPS NAL unit (starting with its NAL header byte); null when it is not one. */
export function parseH264Sps(nal: Uint8Array): H264Sps | null {
  if (nal.length < 4 || (nal[0]! & 0x1f) !== 7) return null;
  try {
    const r = new BitReader(unescapeRbsp(nal.subarray(1)));
    const profileIdc = r.bits(8);
    r.bits(8); // constraint flags
    const levelIdc = r.bits(8);
    r.ue(); // seq_parameter_set_id
    let chromaFormatIdc = 1;
    if (HIGH_PROFILES.has(profileIdc)) {
      chromaFormatIdc = r.ue();
      if (chromaFormatIdc === 3) r.bit();
      r.ue();
      r.ue();
      r.bit();
      if (r.bit()) {
        for (let i = 0; i < (chromaFormatIdc !== 3 ? 8 : 12); i++) {
          if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
        }
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.bit();
      r.se();
      r.se();
      const n = r.ue();
      for (let i = 0; i < n; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.bit();
    const widthMbs = r.ue() + 1;
    const heightUnits = r.ue() + 1;
    const frameMbsOnly = r.bit();
    if (!frameMbsOnly) r.bit();
    r.bit(); // direct_8x8_inference
    let crop = [0, 0, 0, 0];
    if (r.bit()) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
    const subW = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
    const subH = chromaFormatIdc === 1 ? 2 : 1;
    const cropX = chromaFormatIdc === 0 ? 1 : subW;
    const cropY = (chromaFormatIdc === 0 ? 1 : subH) * (2 - frameMbsOnly);
    const sps: H264Sps = {
      profileIdc,
      levelIdc,
      chromaFormatIdc,
      width: widthMbs * 16 - cropX * (crop[0]! + crop[1]!),
      height: (2 - frameMbsOnly) * heightUnits * 16 - cropY * (crop[2]! + crop[3]!),
      colorPrimaries: null,
      colorTransfer: null,
      colorSpace: null,
      colorRange: null,
    };
    readVuiColour(r, sps);
    return sps;
  } catch {
    return null;
  }
}

function readVuiColour(r: BitReader, sps: H264Sps): void {
  try {
    if (!r.bit()) return; // vui_parameters_present_flag
    if (r.bit() && r.bits(8) === 255) r.bits(32); // aspect ratio (extended SAR)
    if (r.bit()) r.bit(); // overscan
    if (!r.bit()) return; // video_signal_type_present_flag
    r.bits(3);
    sps.colorRange = r.bit() ? 'pc' : 'tv';
    if (!r.bit()) return;
    sps.colorPrimaries = PRIMARIES[r.bits(8)] ?? null;
    sps.colorTransfer = TRANSFERS[r.bits(8)] ?? null;
    sps.colorSpace = MATRICES[r.bits(8)] ?? null;
  } catch {
    // A truncated VUI leaves the colour unknown.
  }
}

/** x264's name for an H.264 profile_idc, or null when x264 should choose. */
export function x264ProfileName(profileIdc: number): string | null {
  return profileIdc === 100 ? 'high' : profileIdc === 77 ? 'main' : profileIdc === 66 ? 'baseline' : null;
}
