import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReplayErrorCode } from '../errors.js';
import { materializeSegments } from '../media/materialize-segments.js';
import type { SegmentReader } from '../ports/segment-source.js';
import type { Segment } from '../segments/types.js';
import { LocalSegmentSourceFactory } from './local-segment-source.js';

const layout = {
  dir: 'rs_local',
  filenamePrefix: 'replay',
  playlistName: 'replay.m3u8',
  livePlaylistName: 'replay-live.m3u8',
  naming: 'INDEX' as const,
  segmentDurationSeconds: 2,
};

let root = '';
let factory: LocalSegmentSourceFactory;
const bytesOf = (i: number) => Buffer.alloc(1000 + i, i);

function segment(i: number): Segment {
  const name = `replay_${String(i).padStart(5, '0')}.ts`;
  return {
    name,
    path: path.join(root, layout.dir, name),
    sequence: i,
    sizeBytes: bytesOf(i).length,
    startMs: i * 2000,
    durationSeconds: 2,
    timing: 'playlist',
  };
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-local-source-'));
  factory = new LocalSegmentSourceFactory(root);
  const dir = path.join(root, layout.dir);
  await mkdir(dir);
  for (let i = 0; i < 6; i++) await writeFile(segment(i).path, bytesOf(i));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('LocalSegmentSource', () => {
  it('resolves the layout under its root and refuses directory names that could escape it', () => {
    expect(factory.forLayout(layout).layout.dir).toBe(path.join(root, layout.dir));
    for (const dir of ['..', '../x', 'a/b', '']) {
      expect(() => factory.forLayout({ ...layout, dir })).toThrow(
        expect.objectContaining({ code: ReplayErrorCode.INVALID_INPUT }),
      );
    }
  });

  it('reads whole segments, byte ranges and several segments back to back', async () => {
    const source = factory.forLayout(layout);
    expect(await buffer(await source.open(segment(2)))).toEqual(bytesOf(2));
    expect(await buffer(await source.open(segment(3), { range: { start: 10, end: 19 } }))).toEqual(
      bytesOf(3).subarray(10, 20),
    );
    await expect(source.open(segment(3), { range: { start: 0, end: 5000 } })).rejects.toMatchObject({
      code: ReplayErrorCode.RANGE_NOT_SATISFIABLE,
    });
    const joined = await buffer(source.openMany([segment(1), segment(4), segment(0)]));
    expect(joined).toEqual(Buffer.concat([bytesOf(1), bytesOf(4), bytesOf(0)]));
  });

  it('answers RANGE_UNAVAILABLE for a segment gone, and refuses names that are not segments', async () => {
    const source = factory.forLayout(layout);
    await rm(segment(5).path);
    await expect(source.open(segment(5))).rejects.toMatchObject({ code: ReplayErrorCode.RANGE_UNAVAILABLE });
    await expect(source.open({ ...segment(1), name: '../../etc/passwd' })).rejects.toMatchObject({
      code: ReplayErrorCode.INVALID_INPUT,
    });
    await expect(source.deleteSegments([{ name: 'replay.m3u8' }])).rejects.toMatchObject({
      code: ReplayErrorCode.INVALID_INPUT,
    });
  });

  it('deletes segments (already gone is fine), lists and deletes whole session directories', async () => {
    const source = factory.forLayout(layout);
    await rm(segment(0).path);
    expect(await source.deleteSegments([segment(0), segment(1), segment(1)])).toBe(2);
    expect((await readdir(path.join(root, layout.dir))).sort()).toEqual(
      [2, 3, 4, 5].map((i) => segment(i).name),
    );
    await writeFile(path.join(root, 'not-a-dir.txt'), 'x');
    expect(await factory.listDirs()).toEqual([layout.dir]);
    await factory.deleteLayout({ dir: layout.dir });
    expect(await factory.listDirs()).toEqual([]);
  });
});

describe('materializeSegments', () => {
  /** The local files read through `open` only, as a bucket would be. */
  const remote = (): SegmentReader => {
    const source = factory.forLayout(layout);
    return { local: false, open: (s, options) => source.open(s, options) };
  };

  it('hands local segments over as they are', async () => {
    const files = await materializeSegments(factory.forLayout(layout), [segment(1)], path.join(root, 'work'));
    expect(files.segments[0]!.path).toBe(segment(1).path);
  });

  it('copies just the given segments of a remote source, and removes them (and the scratch dir it made)', async () => {
    const work = path.join(root, 'work');
    const files = await materializeSegments(remote(), [0, 2, 3, 4, 5].map(segment), work);
    for (const [i, copy] of files.segments.entries()) {
      expect(copy.path.startsWith(work + path.sep)).toBe(true);
      expect(await readFile(copy.path)).toEqual(bytesOf([0, 2, 3, 4, 5][i]!));
    }
    await files.release();
    expect(await readdir(root)).not.toContain('work');
  });

  it('leaves nothing behind when a segment is gone or the caller aborts', async () => {
    const work = path.join(root, 'work');
    await rm(segment(4).path);
    await expect(materializeSegments(remote(), [0, 1, 2, 3, 4, 5].map(segment), work)).rejects.toMatchObject({
      code: ReplayErrorCode.RANGE_UNAVAILABLE,
    });
    expect(await readdir(root)).not.toContain('work');
    const aborted = new AbortController();
    aborted.abort(new Error('caller went away'));
    await expect(materializeSegments(remote(), [0, 1].map(segment), work, aborted.signal)).rejects.toThrow(
      'caller went away',
    );
    expect(await readdir(root)).not.toContain('work');
  });
});
