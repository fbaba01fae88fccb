import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentedFileOutput } from '@livekit/protocol';
import { EgressClient } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { runEmulatorCli } from './cli-main.js';
import type { EgressEmulator } from './emulator.js';
import { isProcessAlive } from './test-helpers.js';

describe('livekit-replay-emulator CLI', () => {
  it('prints URL and credentials, serves the API until aborted, then cleans up', async () => {
    const root = await mkdtemp(join(tmpdir(), 'emu-cli-test-'));
    try {
      const lines: string[] = [];
      const controller = new AbortController();
      let emu: EgressEmulator | undefined;
      const ready = new Promise<void>((resolve) => {
        void runEmulatorCli(
          [
            '--port',
            '0',
            '--api-key',
            'cliKey',
            '--api-secret',
            'cli-secret-0123456789abcdefghijkl',
            '--segments-root',
            root,
            '--history-seconds',
            '2',
            '--max-fps',
            '5',
            '--max-height',
            '180',
          ],
          {
            signal: controller.signal,
            print: (l) => lines.push(l),
            onReady: (e) => {
              emu = e;
              resolve();
            },
          },
        ).then((code) => lines.push(`exit ${code}`));
      });
      await ready;
      if (!emu) throw new Error('not ready');
      expect(lines.join('\n')).toContain(`LIVEKIT_URL=${emu.url}`);
      expect(lines.join('\n')).toContain('LIVEKIT_API_KEY=cliKey');
      expect(lines.join('\n')).toContain('LIVEKIT_API_SECRET=cli-secret-0123456789abcdefghijkl');
      const client = new EgressClient(emu.url, 'cliKey', 'cli-secret-0123456789abcdefghijkl');
      const info = await client.startTrackCompositeEgress(
        'cli-room',
        new SegmentedFileOutput({ filenamePrefix: 'cli/seg', segmentDuration: 1 }),
        { videoTrackId: 'v' },
      );
      await emu.waitForSegments(info.egressId, 1);
      const pids = emu.childPids();
      expect(pids.length).toBe(1);
      controller.abort();
      await expect.poll(() => lines.at(-1), { timeout: 10_000 }).toBe('exit 0');
      for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
      // Segments stay in the user's root; nothing else (no staging) is left there.
      expect((await readdir(join(root, 'cli'))).every((f) => f.endsWith('.ts') || f.endsWith('.m3u8'))).toBe(
        true,
      );
      expect(lines.some((l) => l.includes(`${info.egressId} started for room "cli-room"`))).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('rejects unknown flags with the help text and exit code 2', async () => {
    const lines: string[] = [];
    const code = await runEmulatorCli(['--nope'], {
      signal: AbortSignal.abort(),
      print: (l) => lines.push(l),
    });
    expect(code).toBe(2);
    expect(lines.join('\n')).toContain('--history-seconds');
  });
});
