import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSafeId, isSafeId, newId, safeJoin } from '../ids.js';

describe('ids', () => {
  it('generates safe, prefixed, unique ids', () => {
    const a = newId('clip');
    expect(a).toMatch(/^clip_[0-9a-f]{32}$/);
    expect(isSafeId(a)).toBe(true);
    expect(newId('clip')).not.toBe(a);
  });

  it.each(['..', '../etc', 'a/b', 'a\\b', '', 'x'.repeat(129), 'a b', 'clip.mp4', '%2e%2e'])(
    'rejects %j as an id',
    (value) => {
      expect(isSafeId(value)).toBe(false);
      expect(() => assertSafeId(value, 'clipId')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    },
  );

  it('joins safe parts under the root', () => {
    expect(safeJoin('/data/clips', 'clips', 'clip_1.mp4')).toBe(path.resolve('/data/clips/clips/clip_1.mp4'));
  });

  it.each([['..'], ['../x'], ['a/../../b'], ['/etc/passwd'], ['.hidden'], ['a..b'], ['']])(
    'refuses the traversal %j',
    (part) => {
      expect(() => safeJoin('/data/clips', part)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    },
  );
});
