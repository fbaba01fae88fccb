/**
 * Bench-only prototype of DESIGN.md's idea: remux each MPEG-TS segment to an fMP4 fragment
 * as it lands (off the save path), so a save is byte concatenation plus the hash.
 *
 * Ingest (once per segment): `ffmpeg -copyts … -c copy -f mp4 -movflags
 * frag_keyframe+empty_moov+default_base_moof+frag_discont -use_editlist 1` keeps the
 * segment's own decode times in each `tfdt`; the file is split into the init part
 * (ftyp+moov, shared) and the media part (moof+mdat).
 *
 * Save: init + every fragment, streamed through SHA-256. Only the small `moof` headers are
 * touched: each `tfdt` is rebased so the clip starts at 0, and `mfhd` sequence numbers are
 * renumbered. `default_base_moof` makes every data offset relative to its own moof, so the
 * media bytes are copied untouched. The moov's durations stay 0 (as with any fragmented MP4
 * written live); ffprobe and browsers take the duration from the fragments.
 *
 * Limits of the prototype: starts and ends on segment boundaries (keyframes), like a save
 * in fast mode but without trimming the end to a frame; no `sidx`; assumes one keyframe
 * (one fragment) per segment, as LiveKit's segments have.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Segment } from '@livekit-replay/core/adapter';
import type { ClipOutcome } from './algorithms.js';
import { FFMPEG, nowMs, run } from './util.js';

interface Box {
  type: string;
  start: number;
  size: number;
  header: number;
}

function boxes(buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  let offset = start;
  while (offset + 8 <= end) {
    let size = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    let header = 8;
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (size === 0) size = end - offset;
    if (size < header || offset + size > end) throw new Error(`bad ${type} box at ${offset}`);
    out.push({ type, start: offset, size, header });
    offset += size;
  }
  return out;
}

function child(buf: Buffer, parent: Box, type: string): Box | undefined {
  return boxes(buf, parent.start + parent.header, parent.start + parent.size).find((b) => b.type === type);
}

/** Timescale of each track id, from the init segment's moov. */
function trackTimescales(init: Buffer): Map<number, number> {
  const map = new Map<number, number>();
  const moov = boxes(init, 0, init.length).find((b) => b.type === 'moov');
  if (!moov) throw new Error('init segment without moov');
  for (const trak of boxes(init, moov.start + moov.header, moov.start + moov.size)) {
    if (trak.type !== 'trak') continue;
    const tkhd = child(init, trak, 'tkhd')!;
    const version = init[tkhd.start + 8]!;
    const trackId = init.readUInt32BE(tkhd.start + 8 + 4 + (version === 1 ? 16 : 8));
    const mdia = child(init, trak, 'mdia')!;
    const mdhd = child(init, mdia, 'mdhd')!;
    const mdhdVersion = init[mdhd.start + 8]!;
    const timescale = init.readUInt32BE(mdhd.start + 8 + 4 + (mdhdVersion === 1 ? 16 : 8));
    map.set(trackId, timescale);
  }
  return map;
}

interface TfdtField {
  trackId: number;
  /** Offset of the version byte of the tfdt full box, inside the moof buffer. */
  offset: number;
  value: bigint;
}

function moofFields(moof: Buffer): { mfhdOffset: number; tfdts: TfdtField[] } {
  const root = boxes(moof, 0, moof.length)[0]!;
  const mfhd = child(moof, root, 'mfhd')!;
  const tfdts: TfdtField[] = [];
  for (const traf of boxes(moof, root.start + root.header, root.start + root.size)) {
    if (traf.type !== 'traf') continue;
    const tfhd = child(moof, traf, 'tfhd')!;
    const trackId = moof.readUInt32BE(tfhd.start + 12);
    const tfdt = child(moof, traf, 'tfdt')!;
    const offset = tfdt.start + 8;
    const value =
      moof[offset] === 1 ? moof.readBigUInt64BE(offset + 4) : BigInt(moof.readUInt32BE(offset + 4));
    tfdts.push({ trackId, offset, value });
  }
  return { mfhdOffset: mfhd.start + 12, tfdts };
}

const fragmentPath = (dir: string, segment: Segment) => join(dir, `${segment.name}.m4s`);

/** Remuxes one segment into `<name>.m4s` (moof+mdat) and, the first time, `init.mp4`. */
export async function ingestSegment(segment: Segment, dir: string): Promise<void> {
  const temp = join(dir, `${segment.name}.tmp.mp4`);
  try {
    await run(FFMPEG, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-copyts',
      '-i',
      segment.path,
      '-map',
      '0',
      '-c',
      'copy',
      '-bsf:a',
      'aac_adtstoasc',
      '-use_editlist',
      '1',
      '-f',
      'mp4',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof+frag_discont',
      temp,
    ]);
    const whole = await readFile(temp);
    const top = boxes(whole, 0, whole.length);
    const initParts = top.filter((b) => b.type === 'ftyp' || b.type === 'moov');
    const mediaParts = top.filter((b) => b.type === 'moof' || b.type === 'mdat');
    if (mediaParts.filter((b) => b.type === 'moof').length !== 1) {
      throw new Error(`${segment.name}: expected one fragment (one keyframe per segment)`);
    }
    const initPath = join(dir, 'init.mp4');
    try {
      await stat(initPath);
    } catch {
      await writeFile(
        initPath,
        Buffer.concat(initParts.map((b) => whole.subarray(b.start, b.start + b.size))),
      );
    }
    await writeFile(
      fragmentPath(dir, segment),
      Buffer.concat(mediaParts.map((b) => whole.subarray(b.start, b.start + b.size))),
    );
  } finally {
    await rm(temp, { force: true });
  }
}

/** Ingests every segment not yet done; returns the time per ingested segment, ms. */
export async function ensureFragments(segments: Segment[], dir: string): Promise<number[]> {
  await mkdir(dir, { recursive: true });
  const times: number[] = [];
  for (const segment of segments) {
    try {
      await stat(fragmentPath(dir, segment));
      continue;
    } catch {
      // not yet
    }
    const started = nowMs();
    await ingestSegment(segment, dir);
    times.push(nowMs() - started);
  }
  return times;
}

/** The save: init + rebased fragments, hashed while written. */
export async function saveFromFragments(
  segments: Segment[],
  dir: string,
  outputPath: string,
): Promise<ClipOutcome> {
  const init = await readFile(join(dir, 'init.mp4'));
  const timescales = trackTimescales(init);
  const hash = createHash('sha256');
  const out = await open(outputPath, 'w');
  const buffer = Buffer.allocUnsafe(1 << 20);
  let size = 0;
  const write = async (chunk: Buffer) => {
    hash.update(chunk);
    await out.write(chunk);
    size += chunk.length;
  };
  try {
    await write(init);
    // The clip's time zero: the earliest first decode time of any track in the first fragment.
    let baseSeconds: number | null = null;
    for (const [index, segment] of segments.entries()) {
      const input = await open(fragmentPath(dir, segment), 'r');
      try {
        const head = Buffer.alloc(8);
        await input.read(head, 0, 8, 0);
        const moofSize = head.readUInt32BE(0);
        const moof = Buffer.alloc(moofSize);
        await input.read(moof, 0, moofSize, 0);
        const fields = moofFields(moof);
        if (baseSeconds === null) {
          baseSeconds = Math.min(
            ...fields.tfdts.map((f) => Number(f.value) / (timescales.get(f.trackId) ?? 1)),
          );
        }
        for (const field of fields.tfdts) {
          const scale = timescales.get(field.trackId) ?? 1;
          const rebased = BigInt(Math.max(0, Number(field.value) - Math.round(baseSeconds * scale)));
          if (moof[field.offset] === 1) moof.writeBigUInt64BE(rebased, field.offset + 4);
          else moof.writeUInt32BE(Number(rebased), field.offset + 4);
        }
        moof.writeUInt32BE(index + 1, fields.mfhdOffset);
        await write(moof);
        let position = moofSize;
        for (;;) {
          const { bytesRead } = await input.read(buffer, 0, buffer.length, position);
          if (bytesRead === 0) break;
          position += bytesRead;
          await write(buffer.subarray(0, bytesRead));
        }
      } finally {
        await input.close();
      }
    }
  } catch (error) {
    await out.close().catch(() => {});
    await rm(outputPath, { force: true });
    throw error;
  }
  await out.close();
  return { sizeBytes: size, sha256: hash.digest('hex') };
}
