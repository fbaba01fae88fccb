import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLiveKitPlaylist, type PlaylistItem } from './__fixtures__/livekit-playlist.js';
import { useTempSessionDir } from './__fixtures__/session-dir.js';
import type { SegmentAnomaly } from './plausibility.js';
import { retentionVictims } from './retention.js';
import { readSegmentIndex } from './segment-index.js';
import { formatIndexSegmentName } from './segment-names.js';
import type { SegmentProber } from './segment-probe.js';
import { selectSegments } from './select.js';

// Item 4 of the hardening issue: implausible playlist values are not believed.

const NOW = Date.now();
const T0 = NOW - 60_000;
const session = useTempSessionDir('lkr-implausible-');
const layout = session.layout;

/** 2 s segments back to back from T0; the file's first PTS follows its real start. */
const truth = (count: number): PlaylistItem[] =>
  Array.from({ length: count }, (_, i) => ({
    name: formatIndexSegmentName('replay', i),
    startMs: T0 + i * 2000,
    durationSeconds: 2,
  }));

const prober: SegmentProber = async (p) => {
  const index = Number(/_(\d+)\.ts$/.exec(p)?.[1]);
  return {
    durationSeconds: 2,
    firstVideoPtsSeconds: 10 + index * 2,
    keyframePtsSeconds: [],
    framePtsSeconds: [],
    frameDurationSeconds: 1 / 30,
  };
};

async function write(listed: PlaylistItem[], files = listed) {
  for (const item of files) await writeFile(path.join(session.dir, item.name), Buffer.alloc(188 * 40, 0x47));
  await writeFile(path.join(session.dir, 'replay.m3u8'), formatLiveKitPlaylist(listed));
}

async function read() {
  const anomalies: SegmentAnomaly[] = [];
  const snap = await readSegmentIndex(layout(), { prober, nowMs: NOW, onAnomaly: (a) => anomalies.push(a) });
  return { snap, anomalies };
}

describe('implausible playlist values', () => {
  it('an EXTINF of 1e9 is not believed: the segment is re-timed from the file, no older media is spliced in', async () => {
    const real = truth(10);
    const listed = real.map((item, i) => (i === 8 ? { ...item, durationSeconds: 1e9 } : item));
    await write(listed);
    const { snap, anomalies } = await read();
    expect(anomalies.map((a) => [a.kind, a.name, a.action])).toEqual([
      ['implausible_duration', real[8]!.name, 'retimed'],
    ]);
    const eighth = snap.segments.find((s) => s.name === real[8]!.name)!;
    expect(eighth.durationSeconds).toBe(2);
    expect(snap.endMs).toBe(T0 + 20_000);
    // "The last 3 seconds" holds the last two segments only, and their real length.
    const selected = selectSegments(snap, { startMs: T0 + 17_000, endMs: T0 + 20_000 });
    expect(selected.ok && selected.selection.segments.map((s) => s.name)).toEqual([
      real[8]!.name,
      real[9]!.name,
    ]);
    expect(selected.ok && selected.selection.coveredSeconds).toBe(3);
  });

  it('a PROGRAM-DATE-TIME in 2099 is ignored (a gap, reported) and drives neither bufferedSeconds nor retention', async () => {
    const real = truth(6);
    const future = Date.UTC(2099, 0, 1);
    // Segment 3 claims 2099; segments 4 and 5 follow it in time from there (derived PDT).
    const text = formatLiveKitPlaylist(real).replace(
      new Date(real[3]!.startMs).toISOString(),
      new Date(future).toISOString(),
    );
    for (const item of real) await writeFile(path.join(session.dir, item.name), Buffer.alloc(188 * 40, 0x47));
    await writeFile(path.join(session.dir, 'replay.m3u8'), text);
    const { snap, anomalies } = await read();
    expect(anomalies.find((a) => a.name === real[3]!.name)?.kind).toBe('future_time');
    expect(snap.endMs).not.toBeNull();
    expect(snap.endMs!).toBeLessThanOrEqual(NOW);
    const bufferedSeconds = (snap.endMs! - snap.startMs!) / 1000;
    expect(bufferedSeconds).toBeLessThanOrEqual(12);
    // Retention: everything ends before a cutoff in the future of the recording, 2099 included.
    const victims = retentionVictims(snap, NOW + 1);
    const all = [...snap.segments.map((s) => s.name), ...(snap.rejected ?? []).map((r) => r.name)];
    expect(new Set(victims.map((v) => v.name))).toEqual(new Set(all));
    expect(all).toHaveLength(6);
  });

  it('times going backwards are a reported data problem (the segment is skipped as a gap), never INVALID_INPUT', async () => {
    const real = truth(6);
    // Segment 4 claims to start 8 s earlier than it did, inside segment 0..1.
    const text = formatLiveKitPlaylist(real).replace(
      new Date(real[4]!.startMs).toISOString(),
      new Date(real[0]!.startMs + 500).toISOString(),
    );
    for (const item of real) await writeFile(path.join(session.dir, item.name), Buffer.alloc(188 * 40, 0x47));
    await writeFile(path.join(session.dir, 'replay.m3u8'), text);
    const { snap, anomalies } = await read();
    expect(anomalies.map((a) => [a.kind, a.name])).toEqual([['out_of_order', real[4]!.name]]);
    // Re-timed from the file (it follows segment 3): the timeline stays ordered.
    const starts = snap.segments.map((s) => s.startMs);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(snap.segments.find((s) => s.name === real[4]!.name)?.startMs).toBe(real[4]!.startMs);
    const selected = selectSegments(snap, { startMs: T0, endMs: T0 + 12_000 });
    expect(selected.ok).toBe(true);
    // The playlist file itself was only read.
    expect(await readFile(path.join(session.dir, 'replay.m3u8'), 'utf8')).toBe(text);
  });

  it('reports each anomaly once per process, not on every read', async () => {
    const real = truth(4);
    await write(real.map((item, i) => (i === 1 ? { ...item, durationSeconds: 5e5 } : item)));
    const first = await read();
    const second = await read();
    expect(first.anomalies).toHaveLength(1);
    // The snapshot still carries it (for status), but the callback is not called again.
    expect(second.snap.anomalies).toHaveLength(1);
    let calls = 0;
    await readSegmentIndex(layout(), { prober, nowMs: NOW, onAnomaly: () => calls++ });
    expect(calls).toBe(0);
  });
});
