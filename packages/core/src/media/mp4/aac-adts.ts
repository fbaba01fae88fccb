import { NativeRemuxUnsupported } from './unsupported.js';

/** AAC as MP4 stores it: raw frames, and the AudioSpecificConfig for esds. */
export interface AacStreamInfo {
  sampleRate: number;
  channels: number;
  /** 2-byte AudioSpecificConfig (object type, sampling frequency index, channel configuration). */
  config: Buffer;
}

export interface AacFrame {
  /** 90 kHz ticks (the PES's PTS for its first frame, then one frame further each). */
  pts: number;
  data: Buffer;
}

export const AAC_FRAME_SAMPLES = 1024;
const RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * Splits ADTS frames out of an audio elementary stream fed PES by PES, stripping the
 * headers. A frame may continue into the next PES; one starting in a PES takes its PTS.
 */
export class AdtsReader {
  info: AacStreamInfo | null = null;
  readonly frames: AacFrame[] = [];
  private carry: Buffer = Buffer.alloc(0);
  private nextPts: number | null = null;

  push(payload: Buffer, pts: number): void {
    const data = this.carry.length ? Buffer.concat([this.carry, payload]) : payload;
    let pesPts: number | null = pts;
    let i = 0;
    while (i + 7 <= data.length) {
      if (data[i] !== 0xff || (data[i + 1]! & 0xf6) !== 0xf0) {
        throw new NativeRemuxUnsupported('the AAC stream is not ADTS');
      }
      const length = ((data[i + 3]! & 0x03) << 11) | (data[i + 4]! << 3) | (data[i + 5]! >> 5);
      if (length < 7) throw new NativeRemuxUnsupported('an ADTS frame is damaged');
      if (i + length > data.length) break;
      const header = (data[i + 1]! & 0x01) === 1 ? 7 : 9;
      if ((data[i + 6]! & 0x03) !== 0)
        throw new NativeRemuxUnsupported('ADTS frames with several raw blocks');
      this.describe(data, i);
      const framePts = i >= this.carry.length && pesPts !== null ? pesPts : this.nextPts;
      if (framePts === null) throw new NativeRemuxUnsupported('an AAC frame without a timestamp');
      if (i >= this.carry.length) pesPts = null;
      this.frames.push({ pts: framePts, data: data.subarray(i + header, i + length) });
      this.nextPts = framePts + (AAC_FRAME_SAMPLES * 90_000) / this.info!.sampleRate;
      i += length;
    }
    this.carry = data.subarray(i);
  }

  private describe(data: Buffer, i: number): void {
    const objectType = (data[i + 2]! >> 6) + 1;
    const rateIndex = (data[i + 2]! >> 2) & 0x0f;
    const channels = ((data[i + 2]! & 0x01) << 2) | (data[i + 3]! >> 6);
    const sampleRate = RATES[rateIndex];
    if (!sampleRate || channels === 0)
      throw new NativeRemuxUnsupported('an AAC layout MP4 cannot describe simply');
    const config = Buffer.from([
      (objectType << 3) | (rateIndex >> 1),
      ((rateIndex & 1) << 7) | (channels << 3),
    ]);
    if (!this.info) this.info = { sampleRate, channels, config };
    else if (!this.info.config.equals(config))
      throw new NativeRemuxUnsupported('the AAC configuration changes');
  }
}
