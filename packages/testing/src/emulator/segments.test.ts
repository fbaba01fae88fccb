import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentedFileOutput, SegmentedFileSuffix } from '@livekit/protocol';
import { EgressClient, EncodingOptionsPreset } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrameStamps } from '../frame-stamp.js';
import { type EgressEmulator, startEgressEmulator } from './emulator.js';
import { isProcessAlive, parsePlaylist, probeStreams, probeVideoPackets } from './test-helpers.js';
import { timestampSuffix } from './util.js';

const FPS = 10;

describe('egress emulator: segments and playlists', () => {
  let emu: EgressEmulator;
  let client: EgressClient;

  beforeAll(async () => {
    emu = await startEgressEmulator({ maxFrameRate: FPS, maxHeight: 360 });
    client = new EgressClient(emu.url, emu.apiKey, emu.apiSecret);
  });
  afterAll(async () => {
    const pids = emu.childPids();
    await emu.close();
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
  });

  it('writes INDEX-named segments live, visible while written, with LiveKit playlists and ENDLIST on stop', async () => {
    const started = Date.now();
    const info = await client.startTrackCompositeEgress(
      'room-index',
      new SegmentedFileOutput({
        filenamePrefix: 'rooms/room-index/user-1/seg',
        playlistName: 'playlist.m3u8',
        livePlaylistName: 'live.m3u8',
        segmentDuration: 1,
        filenameSuffix: SegmentedFileSuffix.INDEX,
      }),
      {
        videoTrackId: 'TR_video',
        audioTrackId: 'TR_audio',
        encodingOptions: EncodingOptionsPreset.H264_1080P_60,
      },
    );
    expect(info.egressId).toMatch(/^EG_[A-Za-z0-9]{12}$/);
    const egress = emu.getEgress(info.egressId);
    expect(egress?.outputDir).toBe(join(emu.root, 'rooms/room-index/user-1'));
    // 1080p60 at 6 Mbps as requested, scaled and slowed by the emulator's CPU caps.
    expect(egress?.encoding).toMatchObject({
      width: 640,
      height: 360,
      fps: FPS,
      requestedFps: 60,
      videoBitrateKbps: 6000,
    });
    // Without history the first segment is live: it starts at the request and is complete only
    // once the wall clock has passed its end.
    const first = await emu.waitForSegments(info.egressId, 1);
    expect(first[0]!.pdtMs).toBeGreaterThanOrEqual(started - 1000);
    expect(first[0]!.completedAt).toBeGreaterThanOrEqual(first[0]!.pdtMs + first[0]!.durationS * 1000);

    // A segment in progress is on disk under its final name but not in the playlist yet.
    const dir = egress?.outputDir ?? '';
    let partialSeen = false;
    for (let i = 0; i < 40 && !partialSeen; i++) {
      const listed = parsePlaylist(await readFile(join(dir, 'playlist.m3u8'), 'utf8')).entries.map(
        (e) => e.uri,
      );
      const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
      for (const f of files) {
        if (listed.includes(f)) continue;
        const size = (await stat(join(dir, f))).size;
        if (size > 0) partialSeen = true;
      }
      if (!partialSeen) await new Promise((r) => setTimeout(r, 50));
    }
    expect(partialSeen).toBe(true);

    await emu.waitForSegments(info.egressId, 7);
    const running = parsePlaylist(await readFile(join(dir, 'playlist.m3u8'), 'utf8'));
    expect(running.ended).toBe(false);
    expect(running.version).toBe(4);
    expect(running.playlistType).toBe('EVENT');
    expect(running.allowCache).toBe('NO');
    expect(running.mediaSequence).toBe(0);
    expect(running.lines.slice(0, 6)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:4',
      `#EXT-X-TARGETDURATION:${running.targetDuration}`,
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:EVENT',
      '#EXT-X-ALLOW-CACHE:NO',
    ]);
    expect(running.entries.length).toBeGreaterThanOrEqual(7);
    running.entries.forEach((e, i) => {
      expect(e.uri).toBe(`seg_${String(i).padStart(5, '0')}.ts`);
    });
    expect(first[0]?.name).toBe('seg_00000.ts');

    const live = parsePlaylist(await readFile(join(dir, 'live.m3u8'), 'utf8'));
    expect(live.entries.length).toBe(5);
    expect(live.playlistType).toBeUndefined();
    expect(live.mediaSequence).toBe(Number(live.entries[0]?.uri.slice(4, 9)));

    await client.stopEgress(info.egressId);
    const ended = await emu.waitForEnd(info.egressId);
    const final = parsePlaylist(await readFile(join(dir, 'playlist.m3u8'), 'utf8'));
    expect(final.ended).toBe(true);
    expect(final.lines.at(-1)).toBe('#EXT-X-ENDLIST');
    expect(final.entries.map((e) => e.uri)).toEqual(ended.segments.map((s) => s.name));
    expect(parsePlaylist(await readFile(join(dir, 'live.m3u8'), 'utf8')).ended).toBe(true);

    // PDTs are contiguous: each segment starts where the previous one ended.
    for (let i = 1; i < final.entries.length; i++) {
      const prev = final.entries[i - 1];
      const cur = final.entries[i];
      if (!prev || !cur) continue;
      expect(Math.abs(cur.pdtMs - (prev.pdtMs + prev.duration * 1000))).toBeLessThanOrEqual(1);
    }
    // Real durations vary around the target (keyframe-aligned cuts), never all identical.
    const durations = new Set(final.entries.slice(0, -1).map((e) => e.durationText));
    expect(durations.size).toBeGreaterThan(1);
    // Every file on disk is a finished, listed segment; nothing else is left behind.
    const files = (await readdir(dir)).sort();
    expect(files).toEqual([...final.entries.map((e) => e.uri), 'live.m3u8', 'playlist.m3u8'].sort());
  });

  it('names TIMESTAMP segments by their first frame, which carries the PDT as its frame stamp', async () => {
    const info = await client.startTrackCompositeEgress(
      'room-ts',
      new SegmentedFileOutput({
        filenamePrefix: 'ts-out/clip',
        playlistName: 'index.m3u8',
        segmentDuration: 2,
        filenameSuffix: SegmentedFileSuffix.TIMESTAMP,
      }),
      { videoTrackId: 'TR_v', encodingOptions: EncodingOptionsPreset.H264_1080P_30 },
    );
    const segments = await emu.waitForSegments(info.egressId, 3);
    await client.stopEgress(info.egressId);
    const done = await emu.waitForEnd(info.egressId);
    const playlist = parsePlaylist(await readFile(done.playlistPath, 'utf8'));
    expect(playlist.targetDuration).toBe(2);
    expect(playlist.entries.length).toBe(done.segments.length);
    for (const [i, entry] of playlist.entries.entries()) {
      expect(entry.uri).toBe(`clip_${timestampSuffix(entry.pdtMs)}.ts`);
      expect(entry.uri).toMatch(/^clip_\d{17}\.ts$/);
      if (i === 0) expect(entry.pdtMs).toBe(Math.floor(done.originMs));
    }
    // Each segment: starts on a keyframe, EXTINF = its real video duration, first frame stamp = PDT.
    for (const entry of playlist.entries.slice(0, 3)) {
      const path = join(done.outputDir, entry.uri);
      const packets = await probeVideoPackets(path);
      expect(packets[0]?.key).toBe(true);
      expect(packets.length / FPS).toBeCloseTo(entry.duration, 3);
      const stamps = await readFrameStamps(path, { referenceMs: entry.pdtMs });
      expect(Math.abs((stamps[0] ?? 0) - entry.pdtMs)).toBeLessThanOrEqual(1);
      expect(stamps.length).toBe(packets.length);
    }
    const streams = await probeStreams(join(done.outputDir, segments[0]?.name ?? ''));
    const video = streams.find((s) => s.codec_type === 'video');
    const audio = streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '48000', channels: 2 });
  });

  it('pre-fills history: past PDTs and names, all from before the start request, then continues live', async () => {
    emu.setHistorySeconds(12, 'room-history');
    const before = Date.now();
    const info = await client.startTrackCompositeEgress(
      'room-history',
      new SegmentedFileOutput({
        filenamePrefix: 'hist/seg',
        playlistName: 'index.m3u8',
        livePlaylistName: 'live.m3u8',
        segmentDuration: 2,
        filenameSuffix: SegmentedFileSuffix.TIMESTAMP,
      }),
      { videoTrackId: 'TR_v' },
    );
    const egress = emu.getEgress(info.egressId);
    expect(egress?.historySeconds).toBe(12);
    expect(Math.abs((egress?.originMs ?? 0) - (before - 12_000))).toBeLessThan(1000);
    // Five segments cover ~10 s of the past, each written after the instant it ends (history,
    // not live). How fast it is pre-filled is the bench's business.
    const history = await emu.waitForSegments(info.egressId, 5);
    for (const s of history) expect(s.pdtMs + s.durationS * 1000).toBeLessThanOrEqual(s.completedAt);
    expect(history.at(-1)!.pdtMs + history.at(-1)!.durationS * 1000).toBeLessThanOrEqual(before + 1000);
    expect(history[0]?.name).toBe(`seg_${timestampSuffix(egress?.originMs ?? 0)}.ts`);

    // Then live: a later segment completes only once the wall clock has passed its end.
    const live = await emu.waitForSegments(info.egressId, 8, { timeoutMs: 30_000 });
    const last = live.at(-1);
    expect(last).toBeDefined();
    if (last) {
      const endMs = last.pdtMs + last.durationS * 1000;
      expect(last.completedAt).toBeGreaterThanOrEqual(endMs);
    }
    const playlist = parsePlaylist(await readFile(egress?.playlistPath ?? '', 'utf8'));
    for (let i = 1; i < playlist.entries.length; i++) {
      const prev = playlist.entries[i - 1];
      const cur = playlist.entries[i];
      if (prev && cur)
        expect(Math.abs(cur.pdtMs - (prev.pdtMs + prev.duration * 1000))).toBeLessThanOrEqual(1);
    }
    // The history→live seam is invisible in the picture: frame stamps continue one frame apart.
    const seam = live[5];
    if (seam) {
      const stamps = await readFrameStamps(seam.path, { referenceMs: seam.pdtMs });
      expect(Math.abs((stamps[0] ?? 0) - seam.pdtMs)).toBeLessThanOrEqual(1);
      for (let i = 1; i < stamps.length; i++) {
        expect(Math.abs((stamps[i] ?? 0) - (stamps[i - 1] ?? 0) - 1000 / FPS)).toBeLessThanOrEqual(1);
      }
    }
    await client.stopEgress(info.egressId);
    await emu.waitForEnd(info.egressId);
    emu.setHistorySeconds(undefined, 'room-history');
  });
});
