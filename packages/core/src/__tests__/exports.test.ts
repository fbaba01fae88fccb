/** The main entry stays small (what an integrator uses); adapter authors' needs live in /adapter. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as adapter from '../adapter.js';
import * as main from '../index.js';

/** Names an entry file exports (values and types), read from its explicit export lists. */
function exportedNames(file: string): string[] {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8');
  const names: string[] = [];
  for (const [, list] of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const item of list!.split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .pop()!;
      if (name) names.push(name);
    }
  }
  return names;
}

describe('entry points', () => {
  it('the main entry exports at most 50 names, with no wildcard re-exports', () => {
    const text = readFileSync(new URL('../index.ts', import.meta.url), 'utf8');
    expect(text).not.toMatch(/export \*/);
    const names = exportedNames('../index.ts');
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeLessThanOrEqual(50);
    // Every runtime value is listed (nothing sneaks in through a side door).
    for (const key of Object.keys(main)) expect(names).toContain(key);
  });

  it('the manager, its errors and the defaults an integrator picks are in the main entry', () => {
    for (const name of [
      'ReplayBufferManager',
      'ReplayBufferError',
      'ReplayErrorCode',
      'parseReplayConfig',
      'replayConfigFromEnv',
      'createMemoryStores',
      'LocalClipStorage',
    ]) {
      expect(main).toHaveProperty(name);
    }
  });

  it('adapter authors find store validation and record helpers in /adapter, not in the main entry', () => {
    for (const name of [
      'newSessionRecord',
      'assertExternalId',
      'MemorySessionStore',
      'LIVE_SESSION_STATUSES',
      'toFileRecord',
    ]) {
      expect(adapter).toHaveProperty(name);
      expect(main).not.toHaveProperty(name);
    }
  });
});
