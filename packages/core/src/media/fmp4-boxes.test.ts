import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initSignature,
  Mp4LayoutError,
  moofFields,
  readBoxes,
  setDecodeTime,
  splitFragmentedMp4,
  trackInfo,
} from './fmp4-boxes.js';

let root: string;
let file: Buffer;

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.FFMPEG_PATH ?? 'ffmpeg', ['-v', 'error', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
      killSignal: 'SIGKILL', // a hung run never outlives the test
    });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(err))));
  });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-fmp4-'));
  const out = path.join(root, 'f.mp4');
  // 2 s, a keyframe every second: two fragments, video (90 kHz) + AAC (48 kHz).
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'color=c=gray:s=64x64:r=10',
    '-f',
    'lavfi',
    '-i',
    'anullsrc=r=48000:cl=mono',
    '-t',
    '2',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-g',
    '10',
    '-c:a',
    'aac',
    '-video_track_timescale',
    '90000',
    '-movflags',
    'frag_keyframe+empty_moov+default_base_moof',
    out,
  ]);
  file = await readFile(out);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('fmp4 boxes', () => {
  it('splits init (ftyp+moov) from moof+mdat pairs and reads the tracks', () => {
    const { init, media } = splitFragmentedMp4(file);
    expect(readBoxes(init).map((b) => b.type)).toEqual(['ftyp', 'moov']);
    const types = readBoxes(media).map((b) => b.type);
    expect(types.length).toBeGreaterThanOrEqual(4);
    expect(types.every((t, i) => t === (i % 2 === 0 ? 'moof' : 'mdat'))).toBe(true);
    const tracks = [...trackInfo(init).values()];
    expect(tracks).toEqual(
      expect.arrayContaining([
        { timescale: 90000, handler: 'vide' },
        { timescale: 48000, handler: 'soun' },
      ]),
    );
    expect(initSignature(init)).toBe(initSignature(Buffer.from(init)));
  });

  it('finds and patches decode times and the sequence number of a moof in place', () => {
    const { media } = splitFragmentedMp4(file);
    const second = readBoxes(media)[2]!;
    const moof = Buffer.from(media.subarray(second.start, second.start + second.size));
    const fields = moofFields(moof);
    expect(fields.decodeTimes).toHaveLength(2);
    for (const field of fields.decodeTimes) expect(field.value > 0n).toBe(true);
    const field = fields.decodeTimes[0]!;
    setDecodeTime(moof, field, 12345n);
    moof.writeUInt32BE(7, fields.sequenceOffset);
    const again = moofFields(moof);
    expect(again.decodeTimes[0]!.value).toBe(12345n);
    expect(moof.readUInt32BE(fields.sequenceOffset)).toBe(7);
    expect(() => setDecodeTime(moof, field, -1n)).toThrow(Mp4LayoutError);
  });

  it('refuses what it cannot join safely', () => {
    const { init, media } = splitFragmentedMp4(file);
    // A non-fragmented layout, a truncated box, a moof without its mdat.
    expect(() => splitFragmentedMp4(init)).toThrow(Mp4LayoutError);
    expect(() => readBoxes(file.subarray(0, file.length - 3))).toThrow(Mp4LayoutError);
    const firstMoof = readBoxes(media)[0]!;
    expect(() => splitFragmentedMp4(Buffer.concat([init, media.subarray(0, firstMoof.size)]))).toThrow(
      Mp4LayoutError,
    );
  });
});
