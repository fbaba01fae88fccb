import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLiveKitPlaylist, type PlaylistItem } from './__fixtures__/livekit-playlist.js';
import { useTempSessionDir } from './__fixtures__/session-dir.js';
import { endClampReason, liveEdgeDeadline, waitForLiveEdge } from './live-edge.js';
import { readSegmentIndex } from './segment-index.js';
import { formatIndexSegmentName } from './segment-names.js';
import type { SegmentProber } from './segment-probe.js';
import { selectSegments } from './select.js';

// Item 10 of the hardening issue: the live edge.

const session = useTempSessionDir('lkr-edge-');
const layout = session.layout;
const prober: SegmentProber = async (p) => ({
  durationSeconds: 2,
  firstVideoPtsSeconds: 10 + Number(/_(\d+)\.ts$/.exec(p)?.[1]) * 2,
  keyframePtsSeconds: [],
  framePtsSeconds: [],
  frameDurationSeconds: 1 / 30,
});
const items = (t0: number, count: number): PlaylistItem[] =>
  Array.from({ length: count }, (_, i) => ({
    name: formatIndexSegmentName('replay', i),
    startMs: t0 + i * 2000,
    durationSeconds: 2,
  }));
async function record(list: PlaylistItem[], files = list) {
  for (const item of files) await writeFile(path.join(session.dir, item.name), Buffer.alloc(188 * 40, 0x47));
  await writeFile(path.join(session.dir, 'replay.m3u8'), formatLiveKitPlaylist(list));
}

describe('liveEdgeDeadline', () => {
  it('bounds the wait by the segment in progress, not the flat maximum', () => {
    const now = 1_000_000_000;
    const normal = { requestedEndMs: now, segmentDurationSeconds: 2, maxWaitMs: 15_000, nowMs: now };
    // The last segment ended 1.5 s ago: the one in progress completes in 0.5 s; wait ≤ 0.5 + 2 + 1.5 s.
    expect(liveEdgeDeadline({ ...normal, lastCompleteEndMs: now - 1500 })).toBe(now + 4000);
    // A stalled egress (nothing for 30 s): a few seconds, not 15.
    expect(liveEdgeDeadline({ ...normal, lastCompleteEndMs: now - 30_000 })).toBe(now + 3500);
    // Never beyond the configured maximum, never in the past.
    expect(liveEdgeDeadline({ ...normal, maxWaitMs: 1000, lastCompleteEndMs: now - 1500 })).toBe(now + 1000);
    expect(
      liveEdgeDeadline({ ...normal, requestedEndMs: now - 60_000, lastCompleteEndMs: now - 90_000 }),
    ).toBe(now);
  });
});

describe('waitForLiveEdge', () => {
  it('says it is waiting, and returns the snapshot covering the end once the segment in progress lands', async () => {
    const t0 = Date.now() - 6000;
    const all = items(t0, 4);
    await record(all.slice(0, 2), all); // 0, 1 listed; 2 complete but unlisted; 3 in progress
    const read = () => readSegmentIndex(layout(), { prober });
    const first = await read();
    expect(first.endMs).toBe(t0 + 6000);
    const waiting: number[] = [];
    const result = await waitForLiveEdge(read, first, t0 + 7000, {
      segmentDurationSeconds: 2,
      maxWaitMs: 15_000,
      pollMs: 10,
      onWaiting: (info) => {
        waiting.push(info.missingSeconds);
        // The egress finishes segment 3 and lists it (as LiveKit does).
        void record(all, all).then(() =>
          writeFile(path.join(session.dir, formatIndexSegmentName('replay', 4)), 'x'),
        );
      },
    });
    expect(waiting).toEqual([1]);
    expect(result.covered).toBe(true);
    expect(result.clampReason).toBeNull();
    expect(result.snapshot.endMs).toBe(t0 + 8000);
  });

  it('gives up at the deadline of a stalled egress and says why the end was clamped', async () => {
    const t0 = Date.now() - 60_000;
    await record(items(t0, 3));
    const read = () => readSegmentIndex(layout(), { prober });
    const first = await read();
    let until = 0;
    const result = await waitForLiveEdge(read, first, Date.now(), {
      segmentDurationSeconds: 2,
      maxWaitMs: 15_000,
      marginMs: 0,
      pollMs: 20,
      onWaiting: (info) => {
        until = info.untilMs;
      },
    });
    expect(until - Date.now()).toBeLessThan(15_000 - 8_000); // bounded by the segment, not by 15 s
    expect(result).toMatchObject({ covered: false, clampReason: 'live_edge_timeout' });
    const selected = selectSegments(result.snapshot, { startMs: t0, endMs: Date.now() });
    expect(selected.ok).toBe(true);
    if (selected.ok) {
      expect(endClampReason(selected.selection, result.snapshot, result, true)).toBe('live_edge_timeout');
    }
  });
});

describe('an ended egress with a lagging playlist', () => {
  it('uses the newest unlisted segment once it is complete (still), not before', async () => {
    const t0 = Date.now() - 60_000;
    const all = items(t0, 5);
    await record(all.slice(0, 3), all); // the playlist lags two segments behind the files
    const newest = path.join(session.dir, all[4]!.name);
    const live = await readSegmentIndex(layout(), { prober });
    expect(live.segments.map((s) => s.name)).toEqual(all.slice(0, 4).map((i) => i.name));
    expect(live.pending).toEqual([all[4]!.name]);

    // Ended, but the last file was written just now: it may still be being finished.
    const fresh = await readSegmentIndex(layout(), { prober, egressEnded: true, settleMs: 60_000 });
    expect(fresh.pending).toEqual([all[4]!.name]);

    const still = new Date(Date.now() - 5000);
    await utimes(newest, still, still);
    const ended = await readSegmentIndex(layout(), { prober, egressEnded: true });
    expect(ended.segments.map((s) => s.name)).toEqual(all.map((i) => i.name));
    expect(ended.endMs).toBe(t0 + 10_000);
    // "The last 4 s" of the recording now ends where the recording did.
    const selected = selectSegments(ended, { startMs: t0 + 6000, endMs: t0 + 10_000 });
    expect(selected.ok && selected.selection.endClamped).toBe(false);
  });
});
