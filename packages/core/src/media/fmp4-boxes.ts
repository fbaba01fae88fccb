/**
 * The few ISO-BMFF (MP4) box operations the fragment cut needs: split a fragmented MP4 into
 * its init part (ftyp+moov) and media part (moof+mdat pairs), compare init parts, and patch
 * the decode time (`tfdt`) and sequence number (`mfhd`) of a `moof` in place. Everything
 * else is copied byte for byte.
 */

export interface Box {
  type: string;
  /** Offset of the box's first byte. */
  start: number;
  /** Whole size including the header. */
  size: number;
  /** Header length (8, or 16 with a 64-bit size). */
  header: number;
}

export class Mp4LayoutError extends Error {
  override readonly name = 'Mp4LayoutError';
}

/** The boxes laid one after another in `buf[start, end)`. */
export function readBoxes(buf: Buffer, start = 0, end = buf.length): Box[] {
  const out: Box[] = [];
  let offset = start;
  while (offset < end) {
    if (offset + 8 > end) throw new Mp4LayoutError(`truncated box header at ${offset}`);
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > end) throw new Mp4LayoutError(`truncated ${type} header at ${offset}`);
      size = Number(buf.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header || offset + size > end) throw new Mp4LayoutError(`bad ${type} box at ${offset}`);
    out.push({ type, start: offset, size, header });
    offset += size;
  }
  return out;
}

function children(buf: Buffer, parent: Box): Box[] {
  return readBoxes(buf, parent.start + parent.header, parent.start + parent.size);
}

function onlyChild(buf: Buffer, parent: Box, type: string): Box {
  const found = children(buf, parent).filter((b) => b.type === type);
  if (found.length !== 1)
    throw new Mp4LayoutError(`expected one ${type} in ${parent.type}, found ${found.length}`);
  return found[0]!;
}

const bytes = (buf: Buffer, box: Box) => buf.subarray(box.start, box.start + box.size);

export interface FragmentedMp4 {
  /** ftyp + moov, as written. */
  init: Buffer;
  /** moof + mdat pairs, in order (a trailing mfra is dropped). */
  media: Buffer;
}

/**
 * Splits ffmpeg's fragmented MP4 (`empty_moov`) into init and media parts. Refuses anything
 * else: boxes out of order, a moof without its mdat, or samples stored in the moov.
 */
export function splitFragmentedMp4(buf: Buffer): FragmentedMp4 {
  const top = readBoxes(buf);
  const [ftyp, moov, ...rest] = top;
  if (ftyp?.type !== 'ftyp' || moov?.type !== 'moov') throw new Mp4LayoutError('expected ftyp then moov');
  const media = rest.filter((b) => b.type !== 'mfra');
  if (media.length === 0 || media.length % 2 !== 0) throw new Mp4LayoutError('expected moof+mdat pairs');
  for (let i = 0; i < media.length; i += 2) {
    if (media[i]!.type !== 'moof' || media[i + 1]!.type !== 'mdat') {
      throw new Mp4LayoutError('expected moof+mdat pairs');
    }
  }
  if (!children(buf, moov).some((b) => b.type === 'mvex'))
    throw new Mp4LayoutError('the moov is not fragmented');
  const last = media.at(-1)!;
  return {
    init: buf.subarray(0, moov.start + moov.size),
    media: buf.subarray(media[0]!.start, last.start + last.size),
  };
}

export interface TrackInfo {
  timescale: number;
  /** Handler type: `vide`, `soun`, … */
  handler: string;
}

/** Timescale and handler of each track id, from the init part's moov. */
export function trackInfo(init: Buffer): Map<number, TrackInfo> {
  const moov = readBoxes(init).find((b) => b.type === 'moov');
  if (!moov) throw new Mp4LayoutError('init part without moov');
  const map = new Map<number, TrackInfo>();
  for (const trak of children(init, moov)) {
    if (trak.type !== 'trak') continue;
    const tkhd = onlyChild(init, trak, 'tkhd');
    const tkhdV1 = init[tkhd.start + tkhd.header] === 1;
    const trackId = init.readUInt32BE(tkhd.start + tkhd.header + 4 + (tkhdV1 ? 16 : 8));
    const mdia = onlyChild(init, trak, 'mdia');
    const mdhd = onlyChild(init, mdia, 'mdhd');
    const mdhdV1 = init[mdhd.start + mdhd.header] === 1;
    const timescale = init.readUInt32BE(mdhd.start + mdhd.header + 4 + (mdhdV1 ? 16 : 8));
    if (!(timescale > 0)) throw new Mp4LayoutError(`track ${trackId} has no timescale`);
    const hdlr = onlyChild(init, mdia, 'hdlr');
    const handler = init.toString('latin1', hdlr.start + hdlr.header + 8, hdlr.start + hdlr.header + 12);
    map.set(trackId, { timescale, handler });
  }
  return map;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'dinf', 'edts', 'udta']);

/**
 * A comparable form of an init part: the box tree without sizes, with each H.264 parameter set
 * in `avcC` stripped of trailing zero bytes (`trailing_zero_8bits`, which ffmpeg keeps or not
 * depending on where the segment's start code fell; they mean nothing) and `udta` left out.
 * Two inits with the same signature describe the same tracks and decoder configuration.
 */
export function initSignature(init: Buffer): string {
  const parts: string[] = [];
  const walk = (start: number, end: number) => {
    for (const box of readBoxes(init, start, end)) {
      if (box.type === 'udta') continue;
      if (CONTAINERS.has(box.type)) {
        parts.push(`${box.type}{`);
        walk(box.start + box.header, box.start + box.size);
        parts.push('}');
      } else if (box.type === 'stsd') {
        parts.push(`stsd(${stsdSignature(init, box)})`);
      } else {
        parts.push(`${box.type}(${init.toString('hex', box.start + box.header, box.start + box.size)})`);
      }
    }
  };
  walk(0, init.length);
  return parts.join('');
}

/**
 * Sample entries with what varies between remuxes of one stream taken out: avcC parameter
 * sets canonicalised, `btrt` boxes and the esds bitrate fields (measured per file,
 * informational) left out. Other boxes as raw bytes.
 */
function stsdSignature(buf: Buffer, stsd: Box): string {
  const body = stsd.start + stsd.header;
  const count = buf.readUInt32BE(body + 4);
  const entries = readBoxes(buf, body + 8, stsd.start + stsd.size);
  if (entries.length !== count) throw new Mp4LayoutError('stsd entry count does not match its entries');
  return entries
    .map((entry) => {
      // Fields before the child boxes: VisualSampleEntry 8+70 bytes, AudioSampleEntry (v0) 8+20.
      const fieldBytes =
        entry.type === 'avc1' || entry.type === 'avc3' ? 78 : entry.type === 'mp4a' ? 28 : null;
      if (fieldBytes === null) return `${entry.type}:${bytes(buf, entry).toString('hex')}`;
      const fieldsStart = entry.start + entry.header;
      if (entry.type === 'mp4a' && buf.readUInt16BE(fieldsStart + 8) !== 0) {
        return `${entry.type}:${bytes(buf, entry).toString('hex')}`;
      }
      const fieldsEnd = fieldsStart + fieldBytes;
      const inner = readBoxes(buf, fieldsEnd, entry.start + entry.size)
        .filter((b) => b.type !== 'btrt')
        .map((b) => {
          if (b.type === 'avcC') return `avcC:${avcCSignature(buf, b)}`;
          if (b.type === 'esds') return `esds:${esdsSignature(buf, b)}`;
          return `${b.type}:${bytes(buf, b).toString('hex')}`;
        })
        .join(',');
      return `${entry.type}:${buf.toString('hex', fieldsStart, fieldsEnd)}[${inner}]`;
    })
    .join('|');
}

/** The esds payload with the DecoderConfigDescriptor's buffer size and bitrates zeroed. */
function esdsSignature(buf: Buffer, esds: Box): string {
  const copy = Buffer.from(buf.subarray(esds.start + esds.header, esds.start + esds.size));
  let p = 4; // version + flags
  const descriptor = (tag: number) => {
    if (copy[p] !== tag) throw new Mp4LayoutError(`esds: expected descriptor tag ${tag}`);
    p++;
    for (let i = 0; i < 4; i++) {
      const byte = copy[p++];
      if (byte === undefined) throw new Mp4LayoutError('esds: truncated descriptor length');
      if ((byte & 0x80) === 0) break;
    }
  };
  descriptor(0x03);
  const flags = copy[p + 2] ?? 0;
  p += 3;
  if (flags & 0x80) p += 2;
  if (flags & 0x40) p += 1 + (copy[p] ?? 0);
  if (flags & 0x20) p += 2;
  descriptor(0x04);
  if (p + 13 > copy.length) throw new Mp4LayoutError('esds: truncated decoder config');
  copy.fill(0, p + 2, p + 13);
  return copy.toString('hex');
}

function avcCSignature(buf: Buffer, avcC: Box): string {
  const start = avcC.start + avcC.header;
  const end = avcC.start + avcC.size;
  let p = start + 5;
  const nal = () => {
    const length = buf.readUInt16BE(p);
    let last = p + 2 + length;
    if (last > end) throw new Mp4LayoutError('avcC parameter set overruns the box');
    const first = p + 2;
    p = last;
    while (last > first && buf[last - 1] === 0) last--;
    return buf.toString('hex', first, last);
  };
  const head = buf.toString('hex', start, start + 5);
  const spsCount = buf[p]! & 0x1f;
  p += 1;
  const sps = Array.from({ length: spsCount }, nal);
  const ppsCount = buf[p]!;
  p += 1;
  const pps = Array.from({ length: ppsCount }, nal);
  // Profile extensions (High profiles) follow; keep them verbatim.
  return `${head};${sps.join('/')};${pps.join('/')};${buf.toString('hex', p, end)}`;
}

/** Where the tfdt of one traf sits inside a moof, and its value. */
export interface DecodeTimeField {
  trackId: number;
  /** Offset of the tfdt's version byte. */
  offset: number;
  value: bigint;
}

export interface MoofFields {
  sequenceOffset: number;
  decodeTimes: DecodeTimeField[];
}

const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

/**
 * Finds the fields to patch in one moof (given as its own buffer). Requires a tfdt in every
 * traf and `default-base-is-moof` data offsets, so that moving the fragment needs no other change.
 */
export function moofFields(moof: Buffer): MoofFields {
  const root = readBoxes(moof);
  if (root.length !== 1 || root[0]!.type !== 'moof') throw new Mp4LayoutError('expected one moof');
  const mfhd = onlyChild(moof, root[0]!, 'mfhd');
  const decodeTimes: DecodeTimeField[] = [];
  for (const traf of children(moof, root[0]!)) {
    if (traf.type !== 'traf') continue;
    const tfhd = onlyChild(moof, traf, 'tfhd');
    const flags = moof.readUInt32BE(tfhd.start + tfhd.header) & 0xffffff;
    if (flags & TFHD_BASE_DATA_OFFSET || !(flags & TFHD_DEFAULT_BASE_IS_MOOF)) {
      throw new Mp4LayoutError('fragment data offsets are not relative to their moof');
    }
    const trackId = moof.readUInt32BE(tfhd.start + tfhd.header + 4);
    const tfdt = onlyChild(moof, traf, 'tfdt');
    const offset = tfdt.start + tfdt.header;
    const value =
      moof[offset] === 1 ? moof.readBigUInt64BE(offset + 4) : BigInt(moof.readUInt32BE(offset + 4));
    decodeTimes.push({ trackId, offset, value });
  }
  if (decodeTimes.length === 0) throw new Mp4LayoutError('moof without track fragments');
  return { sequenceOffset: mfhd.start + mfhd.header + 4, decodeTimes };
}

/** Writes a new decode time into a tfdt (version 0 boxes hold 32 bits). */
export function setDecodeTime(moof: Buffer, field: DecodeTimeField, value: bigint): void {
  if (value < 0n) throw new Mp4LayoutError(`negative decode time for track ${field.trackId}`);
  if (moof[field.offset] === 1) moof.writeBigUInt64BE(value, field.offset + 4);
  else if (value <= 0xffffffffn) moof.writeUInt32BE(Number(value), field.offset + 4);
  else throw new Mp4LayoutError('decode time does not fit a version 0 tfdt');
}
