/**
 * Hardening issue, item 10 end to end: with the egress stalled, a live "last N seconds" save
 * waits only as long as the segment in progress should take (not `liveEdgeWaitMs`), tells the
 * user it is waiting, and its clip says why its end was clamped.
 */
import path from 'node:path';
import { type EgressEmulator, startEgressEmulator } from '@livekit-replay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayNotification } from '../../events.js';
import { createMemoryStores } from '../../memory/index.js';
import { API_KEY, API_SECRET, recordingManager, tempRoot } from './lifecycle-helpers.js';

let root: { root: string; cleanup: () => Promise<void> };
let segmentsDir: string;
let emulator: EgressEmulator;

beforeAll(async () => {
  root = await tempRoot('lkr-live-edge-');
  segmentsDir = path.join(root.root, 'segments');
  emulator = await startEgressEmulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    segmentsRoot: segmentsDir,
    maxFrameRate: 5,
    maxHeight: 180,
    historySeconds: 8,
  });
});
afterAll(async () => {
  await emulator?.close();
  await root?.cleanup();
});

describe('the live edge of a stalled egress', () => {
  it('waits a bounded time with a "waiting" notice, and the clip says live_edge_timeout', async () => {
    const { manager, notifications } = await recordingManager({
      config: {
        livekit: { url: emulator.url, apiKey: API_KEY, apiSecret: API_SECRET },
        segmentsDir,
        clipsDir: path.join(root.root, 'clips'),
        segmentDurationSeconds: 1,
        // A deadline this long would be hit if the wait were not bounded by the segment in progress.
        liveEdgeWaitSeconds: 60,
      },
      stores: createMemoryStores(),
      coordination: { rateLimiter: false },
    });
    const session = await manager.startReplayBuffer({
      userId: 'u-edge',
      roomName: 'room-edge',
      videoTrackId: 'TR_v',
    });
    await emulator.waitForSegments(session.egressId!, 8, { timeoutMs: 30_000 });
    emulator.faults.stallEgress(session.egressId!);
    try {
      const started = Date.now();
      const clip = await manager.captureReplay({
        sessionId: session.id,
        userId: 'u-edge',
        durationSeconds: 4,
        mode: 'fast',
      });
      // Bounded by the deadline liveEdgeDeadline computes (about 1 + 1 + 1.5 s past the request).
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(clip.metadata.clampedEnd).toBe(true);
      expect(clip.metadata.clampReason).toBe('live_edge_timeout');
      const waiting = notifications.filter(
        (n): n is Extract<ReplayNotification, { type: 'CAPTURE_PROGRESS' }> =>
          n.type === 'CAPTURE_PROGRESS' && n.stage === 'waiting',
      );
      expect(waiting).toHaveLength(1);
      await manager.deleteClip({ clipId: clip.id, userId: 'u-edge' });
    } finally {
      emulator.faults.resumeEgress(session.egressId!);
      await manager.stopReplayBuffer({ sessionId: session.id, userId: 'u-edge' }).catch(() => undefined);
      await manager.close();
    }
  }, 90_000);
});
