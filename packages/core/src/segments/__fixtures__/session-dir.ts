import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { SegmentDirectoryLayout } from '../types.js';

/**
 * A fresh temporary session directory for each test (removed after it), laid out with the names
 * the manager hands LiveKit (`replay_00000.ts`, `replay.m3u8`, `replay-live.m3u8`, 2 s segments).
 */
export function useTempSessionDir(prefix: string): {
  readonly dir: string;
  layout(): SegmentDirectoryLayout;
} {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    layout: () => ({
      dir,
      filenamePrefix: 'replay',
      playlistName: 'replay.m3u8',
      livePlaylistName: 'replay-live.m3u8',
      naming: 'INDEX',
      segmentDurationSeconds: 2,
    }),
  };
}
