import { lutimes, mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../ids.js';
import { isSweepCandidate, newestActivityMs } from './directory-sweep.js';

// Item 5 of the hardening issue: the sweep deletes only what is ours, and checks activity deep.

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-sweep-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const old = new Date(Date.now() - 3_600_000);
async function age(...paths: string[]) {
  for (const p of paths) await utimes(p, old, old);
}

describe('isSweepCandidate', () => {
  it('accepts only session ids as newId("rs") issues them', () => {
    expect(isSweepCandidate(newId('rs'))).toBe(true);
    for (const name of [
      'egress-tmp',
      'rs_',
      'rs_ABC',
      `rs_${'a'.repeat(31)}`,
      `rs_${'a'.repeat(33)}`,
      'clip_x',
      '..',
    ]) {
      expect(isSweepCandidate(name)).toBe(false);
    }
    expect(isSweepCandidate(newId('clip'))).toBe(false);
  });
});

describe('newestActivityMs', () => {
  it('sees a file being written two levels down in an otherwise idle directory', async () => {
    const dir = path.join(root, 'other-service');
    const deep = path.join(dir, 'a', 'b');
    await mkdir(deep, { recursive: true });
    await writeFile(path.join(dir, 'old.bin'), 'x');
    await writeFile(path.join(deep, 'growing.bin'), 'x');
    await age(path.join(dir, 'old.bin'), path.join(dir, 'a', 'b'), path.join(dir, 'a'), dir);
    // Only the file two levels down is fresh.
    const before = Date.now() - 1000;
    expect(await newestActivityMs(dir)).toBeGreaterThan(before);
    await age(path.join(deep, 'growing.bin'));
    expect(await newestActivityMs(dir)).toBeLessThan(before);
  });

  it('treats a tree beyond its bounds as active, and does not follow symlinks', async () => {
    const dir = path.join(root, newId('rs'));
    let deep = dir;
    for (let i = 0; i < 5; i++) deep = path.join(deep, `d${i}`);
    await mkdir(deep, { recursive: true });
    expect(await newestActivityMs(dir, { maxDepth: 3 })).toBe(Number.POSITIVE_INFINITY);
    await writeFile(path.join(dir, 'f1'), 'x');
    await writeFile(path.join(dir, 'f2'), 'x');
    expect(await newestActivityMs(dir, { maxEntries: 1 })).toBe(Number.POSITIVE_INFINITY);

    // A symlink to a fresh directory elsewhere is looked at (lstat), not walked into.
    const idle = path.join(root, newId('rs'));
    const elsewhere = path.join(root, 'elsewhere');
    await mkdir(idle);
    await mkdir(elsewhere);
    await writeFile(path.join(elsewhere, 'fresh'), 'x');
    await symlink(elsewhere, path.join(idle, 'link'));
    await age(idle);
    await lutimes(path.join(idle, 'link'), old, old);
    expect(await newestActivityMs(idle)).toBeLessThan(Date.now() - 1000);
    expect((await readdir(elsewhere)).length).toBe(1);
  });
});
