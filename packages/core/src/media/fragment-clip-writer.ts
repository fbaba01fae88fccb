import { createHash } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import type { Segment } from '../segments/types.js';
import {
  initSignature,
  Mp4LayoutError,
  moofFields,
  readBoxes,
  setDecodeTime,
  trackInfo,
} from './fmp4-boxes.js';

/**
 * One piece of a clip: an init part and its moof+mdat pairs, in memory or in a file. Decode
 * times are on the source clock, less `shiftSeconds` when the remux moved them (ffmpeg's
 * output `-ss` subtracts the start).
 */
export type ClipPart = { init: Buffer; shiftSeconds?: number } & ({ media: Buffer } | { mediaPath: string });

export interface WriteFragmentClipOptions {
  /** Source-clock time (seconds) that becomes the clip's time 0: its first video frame. */
  originSeconds: number;
  signal?: AbortSignal;
}

/** The parts cannot be joined into one file with one moov; use another way to cut. */
export class FragmentJoinError extends Error {
  override readonly name: string = 'FragmentJoinError';
}

/** The parts' init segments describe different decoder setups (e.g. a re-encoded head's SPS/PPS). */
export class DecoderConfigMismatchError extends FragmentJoinError {
  override readonly name: string = 'DecoderConfigMismatchError';
  constructor() {
    super('the parts have different decoder configurations (init segments differ)');
  }
}

/** Too many segments of the range are not cached yet for the fragment cut to pay. */
export class FragmentCacheColdError extends FragmentJoinError {
  override readonly name: string = 'FragmentCacheColdError';
  /** `segments`: the whole range, to cache for the next save. */
  constructor(
    readonly segments: Segment[],
    coldCount: number,
  ) {
    super(
      `the fragment cache is cold for this range (${coldCount} of ${segments.length} segments not cached yet)`,
    );
  }
}

export interface WrittenClip {
  sha256: string;
  sizeBytes: number;
}

/**
 * Writes one fragmented MP4 from parts cut from the same stream: the first part's init
 * (ftyp+moov, so the moov comes first), then every fragment in order. Only each moof is
 * changed: its `tfdt`s are rebased so `originSeconds` decodes at 0 (every track by the same
 * time, which keeps A/V sync) and its `mfhd` sequence number is renumbered. The
 * file is hashed as it is written. Throws FragmentJoinError when the parts do not fit
 * together (different decoder configuration, times going backwards, audio before the first
 * video frame); the output is removed on any failure.
 */
export async function writeFragmentClip(
  parts: ClipPart[],
  outputPath: string,
  options: WriteFragmentClipOptions,
): Promise<WrittenClip> {
  const { originSeconds, signal } = options;
  if (parts.length === 0) throw new FragmentJoinError('no parts to join');
  const init = parts[0]!.init;
  let signature: string;
  let tracks: ReturnType<typeof trackInfo>;
  try {
    signature = initSignature(init);
    tracks = trackInfo(init);
    for (const part of parts.slice(1)) {
      if (initSignature(part.init) !== signature) throw differentConfigs();
    }
  } catch (error) {
    throw asJoinError(error);
  }
  const videoIds = [...tracks].filter(([, t]) => t.handler === 'vide').map(([id]) => id);
  if (videoIds.length !== 1) throw new FragmentJoinError('expected exactly one video track');
  const videoId = videoIds[0]!;

  const hash = createHash('sha256');
  let size = 0;
  const out = await open(outputPath, 'w');
  const write = async (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await out.write(chunk, offset, chunk.length - offset);
      offset += bytesWritten;
    }
  };
  try {
    await write(init);
    let sequence = 0;
    const lastDecode = new Map<number, bigint>();
    for (const part of parts) {
      signal?.throwIfAborted();
      const media = 'media' in part ? part.media : await readFile(part.mediaPath);
      const boxes = readMedia(media);
      for (let i = 0; i < boxes.length; i += 2) {
        const moofBox = boxes[i]!;
        const mdatBox = boxes[i + 1]!;
        // A copy: the cached media part stays untouched.
        const moof = Buffer.from(media.subarray(moofBox.start, moofBox.start + moofBox.size));
        const fields = (() => {
          try {
            return moofFields(moof);
          } catch (error) {
            throw asJoinError(error);
          }
        })();
        if (sequence === 0 && !fields.decodeTimes.some((f) => f.trackId === videoId)) {
          throw new FragmentJoinError('the first fragment has no video');
        }
        for (const field of fields.decodeTimes) {
          const track = tracks.get(field.trackId);
          if (!track) throw new FragmentJoinError(`fragment for unknown track ${field.trackId}`);
          const rebased =
            field.value +
            BigInt(Math.round((part.shiftSeconds ?? 0) * track.timescale)) -
            BigInt(Math.round(originSeconds * track.timescale));
          if (rebased < 0n)
            throw new FragmentJoinError(`track ${field.trackId} starts before the first video frame`);
          const previous = lastDecode.get(field.trackId);
          if (previous !== undefined && rebased <= previous) {
            throw new FragmentJoinError(`decode times of track ${field.trackId} go backwards`);
          }
          lastDecode.set(field.trackId, rebased);
          try {
            setDecodeTime(moof, field, rebased);
          } catch (error) {
            throw asJoinError(error);
          }
        }
        moof.writeUInt32BE(++sequence, fields.sequenceOffset);
        await write(moof);
        await write(media.subarray(mdatBox.start, mdatBox.start + mdatBox.size));
      }
    }
    await out.close();
    return { sha256: hash.digest('hex'), sizeBytes: size };
  } catch (error) {
    await out.close().catch(() => undefined);
    await rm(outputPath, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * True when no track of the part's first fragment starts before its video (so the part can
 * open a clip without cutting). False when it cannot tell.
 */
export async function startsWithVideo(part: ClipPart): Promise<boolean> {
  try {
    let moof: Buffer;
    if ('media' in part) {
      moof = part.media.subarray(0, part.media.readUInt32BE(0));
    } else {
      const file = await open(part.mediaPath, 'r');
      try {
        const head = Buffer.alloc(8);
        await file.read(head, 0, 8, 0);
        if (head.toString('latin1', 4, 8) !== 'moof') return false;
        moof = Buffer.alloc(head.readUInt32BE(0));
        const { bytesRead } = await file.read(moof, 0, moof.length, 0);
        if (bytesRead !== moof.length) return false;
      } finally {
        await file.close();
      }
    }
    const tracks = trackInfo(part.init);
    const times = moofFields(moof).decodeTimes.map((f) => {
      const track = tracks.get(f.trackId);
      return { video: track?.handler === 'vide', seconds: Number(f.value) / (track?.timescale ?? 1) };
    });
    const video = times.find((t) => t.video);
    return video !== undefined && times.every((t) => t.seconds >= video.seconds - 1e-9);
  } catch {
    return false;
  }
}

const differentConfigs = () => new DecoderConfigMismatchError();

/** Throws FragmentJoinError unless two init parts describe the same tracks and decoder setup. */
export function assertSameDecoderConfig(a: Buffer, b: Buffer): void {
  let same: boolean;
  try {
    same = initSignature(a) === initSignature(b);
  } catch (error) {
    throw asJoinError(error);
  }
  if (!same) throw differentConfigs();
}

function readMedia(media: Buffer) {
  try {
    const boxes = readBoxes(media);
    if (boxes.length === 0 || boxes.length % 2 !== 0) throw new Mp4LayoutError('expected moof+mdat pairs');
    boxes.forEach((b, i) => {
      if (b.type !== (i % 2 === 0 ? 'moof' : 'mdat')) throw new Mp4LayoutError('expected moof+mdat pairs');
    });
    return boxes;
  } catch (error) {
    throw asJoinError(error);
  }
}

function asJoinError(error: unknown): unknown {
  return error instanceof Mp4LayoutError ? new FragmentJoinError(error.message) : error;
}
