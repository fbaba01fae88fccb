/**
 * Hardening issue, item 5: the directory sweep deletes only directories named like the session
 * ids we issue, checks activity at every depth, and can be turned off.
 */
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newId } from '../../ids.js';
import { createMemoryStores } from '../../memory/index.js';
import { API_KEY, API_SECRET, recordingManager, tempRoot } from './lifecycle-helpers.js';

const old = new Date(Date.now() - 7_200_000);

async function idleTree(root: string, name: string, freshTwoLevelsDown = false): Promise<string> {
  const dir = path.join(root, name);
  const deep = path.join(dir, 'a', 'b');
  await mkdir(deep, { recursive: true });
  await writeFile(path.join(dir, 'top.bin'), 'x');
  await writeFile(path.join(deep, 'writing.bin'), 'x');
  const paths = [path.join(dir, 'top.bin'), deep, path.join(dir, 'a'), dir];
  if (!freshTwoLevelsDown) paths.unshift(path.join(deep, 'writing.bin'));
  for (const p of paths) await utimes(p, old, old);
  return dir;
}

async function managerFor(root: string, sweepUnreferencedDirs?: boolean) {
  return recordingManager({
    config: {
      livekit: { url: 'http://127.0.0.1:9', apiKey: API_KEY, apiSecret: API_SECRET },
      segmentsDir: path.join(root, 'segments'),
      clipsDir: path.join(root, 'clips'),
      unreferencedDirGraceSeconds: 60,
      ...(sweepUnreferencedDirs === undefined ? {} : { sweepUnreferencedDirs }),
    },
    stores: createMemoryStores(),
    coordination: { rateLimiter: false },
  });
}

describe('segment directory sweep', () => {
  it('leaves other services’ directories and trees still written deep down; deletes idle ones it issued', async () => {
    const local = await tempRoot('lkr-sweep-owner-');
    try {
      const segments = path.join(local.root, 'segments');
      const idleOurs = newId('rs');
      const busyOurs = newId('rs');
      await idleTree(segments, 'egress-scratch'); // another service's, idle for hours
      await idleTree(segments, idleOurs);
      await idleTree(segments, busyOurs, true); // a file two levels down is being written
      const { manager, errors } = await managerFor(local.root);
      const result = await manager.cleanupOldSegments();
      expect(result).toMatchObject({ unreferencedDirsDeleted: 1, errors: [] });
      expect((await readdir(segments)).sort()).toEqual(['egress-scratch', busyOurs].sort());
      expect(await readdir(path.join(segments, busyOurs, 'a', 'b'))).toEqual(['writing.bin']);
      expect(errors).toEqual([]);
      await manager.close();
    } finally {
      await local.cleanup();
    }
  });

  it('deletes nothing unreferenced when sweepUnreferencedDirs is off', async () => {
    const local = await tempRoot('lkr-sweep-off-');
    try {
      const segments = path.join(local.root, 'segments');
      const idleOurs = newId('rs');
      await idleTree(segments, idleOurs);
      const { manager } = await managerFor(local.root, false);
      expect(await manager.cleanupOldSegments()).toMatchObject({ unreferencedDirsDeleted: 0, errors: [] });
      expect(await readdir(segments)).toEqual([idleOurs]);
      await manager.close();
    } finally {
      await local.cleanup();
    }
  });
});
