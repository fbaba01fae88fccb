import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalClipStorage } from '../storage/local-clip-storage.js';

describe('LocalClipStorage', () => {
  let root: string;
  let storage: LocalClipStorage;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'lkr-storage-'));
    storage = new LocalClipStorage(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('publishes atomically: nothing under the final key until commit', async () => {
    const write = await storage.beginWrite('clips/clip_a.mp4');
    await writeFile(write.path, 'hello world');
    expect(await storage.size('clips/clip_a.mp4')).toBeNull();
    expect(path.dirname(write.path)).toBe(path.join(root, 'clips'));
    const stored = await write.commit();
    expect(stored).toEqual({ key: 'clips/clip_a.mp4', sizeBytes: 11 });
    expect(await readFile(path.join(root, 'clips/clip_a.mp4'), 'utf8')).toBe('hello world');
    expect(await readdir(path.join(root, 'clips'))).toEqual(['clip_a.mp4']);
  });

  it('abort leaves no file behind', async () => {
    const write = await storage.beginWrite('clips/clip_b.mp4');
    await writeFile(write.path, 'partial');
    await write.abort();
    expect(await readdir(path.join(root, 'clips'))).toEqual([]);
  });

  it('reads whole objects and exact byte ranges', async () => {
    const write = await storage.beginWrite('clips/clip_c.mp4');
    await writeFile(write.path, '0123456789');
    await write.commit();
    expect(await text(await storage.openRead('clips/clip_c.mp4'))).toBe('0123456789');
    expect(await text(await storage.openRead('clips/clip_c.mp4', { start: 2, end: 5 }))).toBe('2345');
    await expect(storage.openRead('clips/clip_c.mp4', { start: 5, end: 10 })).rejects.toMatchObject({
      code: 'RANGE_NOT_SATISFIABLE',
    });
    await expect(storage.openRead('clips/missing.mp4')).rejects.toMatchObject({ code: 'CLIP_NOT_FOUND' });
  });

  it('refuses keys that leave the root', async () => {
    for (const key of ['../escape.mp4', 'clips/../../x.mp4', '/etc/passwd', 'clips/.partial-x', '']) {
      await expect(storage.beginWrite(key)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(storage.size(key)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
  });

  it('delete is idempotent', async () => {
    const write = await storage.beginWrite('posters/clip_d.jpg');
    await writeFile(write.path, 'jpg');
    await write.commit();
    await storage.delete('posters/clip_d.jpg');
    await storage.delete('posters/clip_d.jpg');
    expect(await storage.size('posters/clip_d.jpg')).toBeNull();
  });

  it('sweeps stale partial writes left by a crash, keeping fresh ones', async () => {
    const stale = await storage.beginWrite('clips/clip_e.mp4');
    await writeFile(stale.path, 'stale');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(stale.path, old, old);
    const fresh = await storage.beginWrite('clips/clip_f.mp4');
    await writeFile(fresh.path, 'fresh');
    expect(await storage.sweepPartialWrites(60_000)).toBe(1);
    expect(await readdir(path.join(root, 'clips'))).toEqual([path.basename(fresh.path)]);
  });
});
