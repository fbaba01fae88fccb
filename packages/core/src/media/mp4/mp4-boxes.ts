/**
 * ISO BMFF boxes for a non-fragmented MP4 written in one pass: `ftyp`, one `mdat` per source
 * segment (their sizes are known once the segment is parsed, so every byte is final when it is
 * written and hashed), then `moov` with the sample tables and edit lists.
 */

export interface Edit {
  /** Movie timescale. */
  duration: number;
  /** Media timescale; -1 for an empty edit. */
  mediaTime: number;
}

export interface TrackTables {
  id: number;
  handler: 'vide' | 'soun';
  timescale: number;
  sampleEntry: Buffer;
  /** Video: display size for tkhd. */
  width?: number;
  height?: number;
  sizes: number[];
  durations: number[];
  /** Presentation − decode time per sample; null when they are equal throughout. */
  compositionOffsets: number[] | null;
  /** 1-based numbers of sync samples; null when every sample is one. */
  syncSamples: number[] | null;
  chunkOffsets: number[];
  chunkSamples: number[];
  edits: Edit[];
}

export const MOVIE_TIMESCALE = 90_000;

export function box(type: string, ...payload: Buffer[]): Buffer {
  const size = 8 + payload.reduce((sum, b) => sum + b.length, 0);
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(size, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, ...payload], size);
}

function fullBox(type: string, version: number, flags: number, ...payload: Buffer[]): Buffer {
  return box(type, u32((version << 24) | flags), ...payload);
}

function u32(...values: number[]): Buffer {
  return u32s(values);
}

/** Big-endian 32-bit words (an array: sample tables are too long for spread arguments). */
function u32s(values: readonly number[]): Buffer {
  const b = Buffer.allocUnsafe(4 * values.length);
  for (const [i, v] of values.entries()) b.writeUInt32BE(v >>> 0, i * 4);
  return b;
}

function u16(...values: number[]): Buffer {
  const b = Buffer.allocUnsafe(2 * values.length);
  for (const [i, v] of values.entries()) b.writeUInt16BE(v & 0xffff, i * 2);
  return b;
}

const zeros = (n: number) => Buffer.alloc(n);
const MATRIX = u32(0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000);

export function ftyp(): Buffer {
  return box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso2avc1mp41', 'latin1'));
}

/** An `mdat` header for `payloadBytes` of samples that follow it. */
export function mdatHeader(payloadBytes: number): Buffer {
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(8 + payloadBytes, 0);
  header.write('mdat', 4, 'latin1');
  return header;
}

export function avc1SampleEntry(width: number, height: number, sps: Buffer, pps: Buffer): Buffer {
  const avcC = box(
    'avcC',
    Buffer.from([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1]),
    u16(sps.length),
    sps,
    Buffer.from([1]),
    u16(pps.length),
    pps,
  );
  return box(
    'avc1',
    zeros(6),
    u16(1), // data_reference_index
    zeros(16),
    u16(width, height),
    u32(0x480000, 0x480000, 0),
    u16(1),
    zeros(32), // compressorname
    u16(0x18, 0xffff),
    avcC,
  );
}

export function mp4aSampleEntry(
  sampleRate: number,
  channels: number,
  config: Buffer,
  trackId: number,
): Buffer {
  const descriptor = (tag: number, ...payload: Buffer[]) => {
    const body = Buffer.concat(payload);
    return Buffer.concat([Buffer.from([tag, body.length]), body]);
  };
  const esds = fullBox(
    'esds',
    0,
    0,
    descriptor(
      0x03,
      u16(trackId),
      Buffer.from([0]),
      descriptor(0x04, Buffer.from([0x40, 0x15, 0, 0, 0]), u32(0, 0), descriptor(0x05, config)),
      descriptor(0x06, Buffer.from([0x02])),
    ),
  );
  return box('mp4a', zeros(6), u16(1), zeros(8), u16(channels, 16, 0, 0), u32(sampleRate * 65536), esds);
}

/** Run-length pairs (count, value) of a sequence. */
function runs(values: number[]): number[][] {
  const out: number[][] = [];
  for (const v of values) {
    const last = out.at(-1);
    if (last && last[1] === v) last[0]!++;
    else out.push([1, v]);
  }
  return out;
}

function sampleTable(t: TrackTables, largeOffsets: boolean): Buffer {
  const stts = runs(t.durations);
  const parts = [
    fullBox('stsd', 0, 0, u32(1), t.sampleEntry),
    fullBox('stts', 0, 0, u32(stts.length), u32s(stts.flat())),
  ];
  if (t.compositionOffsets) {
    const ctts = runs(t.compositionOffsets);
    const signed = t.compositionOffsets.some((o) => o < 0);
    parts.push(fullBox('ctts', signed ? 1 : 0, 0, u32(ctts.length), u32s(ctts.flat())));
  }
  if (t.syncSamples) parts.push(fullBox('stss', 0, 0, u32(t.syncSamples.length), u32s(t.syncSamples)));
  const stsc: number[] = [];
  t.chunkSamples.forEach((count, i) => {
    if (stsc.at(-2) !== count) stsc.push(i + 1, count, 1);
  });
  parts.push(fullBox('stsc', 0, 0, u32(stsc.length / 3), u32s(stsc)));
  parts.push(fullBox('stsz', 0, 0, u32(0, t.sizes.length), u32s(t.sizes)));
  if (largeOffsets) {
    const co64 = Buffer.allocUnsafe(4 + 8 * t.chunkOffsets.length);
    co64.writeUInt32BE(t.chunkOffsets.length, 0);
    for (const [i, o] of t.chunkOffsets.entries()) co64.writeBigUInt64BE(BigInt(o), 4 + 8 * i);
    parts.push(fullBox('co64', 0, 0, co64));
  } else {
    parts.push(fullBox('stco', 0, 0, u32(t.chunkOffsets.length), u32s(t.chunkOffsets)));
  }
  return box('stbl', ...parts);
}

function track(t: TrackTables, movieDuration: number, largeOffsets: boolean): Buffer {
  const video = t.handler === 'vide';
  const mediaDuration = t.durations.reduce((sum, d) => sum + d, 0);
  const elst = Buffer.concat([
    u32(t.edits.length),
    ...t.edits.map((e) => Buffer.concat([u32(e.duration, e.mediaTime), u16(1, 0)])),
  ]);
  return box(
    'trak',
    fullBox(
      'tkhd',
      0,
      3, // enabled, in movie
      u32(0, 0, t.id, 0, movieDuration, 0, 0),
      u16(0, 0, video ? 0 : 0x100, 0),
      MATRIX,
      u32((t.width ?? 0) * 65536, (t.height ?? 0) * 65536),
    ),
    box('edts', fullBox('elst', 0, 0, elst)),
    box(
      'mdia',
      fullBox('mdhd', 0, 0, u32(0, 0, t.timescale, mediaDuration), u16(0x55c4, 0)),
      fullBox(
        'hdlr',
        0,
        0,
        u32(0),
        Buffer.from(t.handler, 'latin1'),
        zeros(12),
        Buffer.from(video ? 'VideoHandler\0' : 'SoundHandler\0', 'latin1'),
      ),
      box(
        'minf',
        video ? fullBox('vmhd', 0, 1, zeros(8)) : fullBox('smhd', 0, 0, zeros(4)),
        box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1))),
        sampleTable(t, largeOffsets),
      ),
    ),
  );
}

export function moov(tracks: TrackTables[], movieDuration: number): Buffer {
  const largeOffsets = tracks.some((t) => t.chunkOffsets.some((o) => o > 0xffffffff));
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    u32(0, 0, MOVIE_TIMESCALE, movieDuration, 0x10000),
    u16(0x100, 0),
    zeros(8),
    MATRIX,
    zeros(24),
    u32(tracks.length + 1),
  );
  return box('moov', mvhd, ...tracks.map((t) => track(t, movieDuration, largeOffsets)));
}
