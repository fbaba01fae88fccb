import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EncodingOptions,
  EncodingOptionsPreset,
  SegmentedFileOutput,
  SegmentedFileSuffix,
} from '@livekit/protocol';
import { startEgressEmulator } from '@livekit-replay/testing';
import { EgressClient } from 'livekit-server-sdk';
import { FIXTURES_DIR, log } from './util.js';

/** What a cached buffer was generated with (the cache key). */
export interface FixtureParams {
  preset: '1080p30' | '720p30';
  /** Seconds of history the emulator pre-fills. */
  seconds: number;
  segmentSeconds: number;
}

export interface Fixture {
  params: FixtureParams;
  key: string;
  /** Directory holding the segments and the playlists. */
  dir: string;
  filenamePrefix: string;
  playlistName: string;
  livePlaylistName: string;
  width: number;
  height: number;
  fps: number;
  videoBitrateKbps: number;
  /** Wall-clock ms of frame 0 (the frame stamps count from here). */
  originMs: number;
  segmentCount: number;
  totalBytes: number;
  generationSeconds: number;
  generatedAt: string;
}

// H264_720P_30 is preset 0, which EgressClient drops as "no options" (it tests `if (opts)`),
// so 720p is requested with the same numbers as advanced options.
const ENCODINGS = {
  '1080p30': EncodingOptionsPreset.H264_1080P_30,
  '720p30': new EncodingOptions({ width: 1280, height: 720, framerate: 30, videoBitrate: 3000 }),
} as const;

// Bump when the way fixtures are produced changes, so stale caches are not reused.
const FIXTURE_FORMAT = 2;

function keyOf(params: FixtureParams): string {
  const text = JSON.stringify({ f: FIXTURE_FORMAT, ...params });
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 10);
  return `buffer-${params.preset}-${params.seconds}s-${params.segmentSeconds}s-${digest}`;
}

/**
 * A LiveKit-format segment buffer (INDEX names, main + live playlists, segments cut on
 * keyframes with durations varying around the target), produced by the egress emulator's
 * history pre-fill and cached in bench/.fixtures keyed by its parameters.
 */
export async function ensureFixture(params: FixtureParams): Promise<Fixture> {
  const key = keyOf(params);
  const dir = join(FIXTURES_DIR, key);
  try {
    const cached = JSON.parse(await readFile(join(dir, 'fixture.json'), 'utf8')) as Fixture;
    return { ...cached, dir };
  } catch {
    // not cached yet
  }
  await mkdir(FIXTURES_DIR, { recursive: true });
  const partial = join(FIXTURES_DIR, `${key}.partial`);
  await rm(partial, { recursive: true, force: true });
  const started = Date.now();
  log(`generating fixture ${key} (${params.seconds} s of ${params.preset}; this runs once, then is cached)`);
  const emulator = await startEgressEmulator({ segmentsRoot: partial, historySeconds: params.seconds });
  try {
    const client = new EgressClient(emulator.url, emulator.apiKey, emulator.apiSecret);
    const info = await client.startTrackCompositeEgress(
      'bench-room',
      {
        segments: new SegmentedFileOutput({
          filenamePrefix: join(partial, 'replay'),
          playlistName: 'replay.m3u8',
          livePlaylistName: 'replay-live.m3u8',
          segmentDuration: params.segmentSeconds,
          filenameSuffix: SegmentedFileSuffix.INDEX,
        }),
      },
      { audioTrackId: 'TR_audio', videoTrackId: 'TR_video', encodingOptions: ENCODINGS[params.preset] },
    );
    const wanted = Math.ceil(params.seconds / params.segmentSeconds);
    const progress = setInterval(() => {
      const have = emulator.getEgress(info.egressId)?.segments.length ?? 0;
      log(`  fixture: ${have}/${wanted} segments`);
    }, 30_000);
    try {
      await emulator.waitForSegments(info.egressId, wanted, { timeoutMs: params.seconds * 20_000 + 60_000 });
    } finally {
      clearInterval(progress);
    }
    const ended = await emulator.stopEgress(info.egressId);
    const fixture: Fixture = {
      params,
      key,
      dir,
      filenamePrefix: 'replay',
      playlistName: 'replay.m3u8',
      livePlaylistName: 'replay-live.m3u8',
      width: ended.encoding.width,
      height: ended.encoding.height,
      fps: ended.encoding.fps,
      videoBitrateKbps: ended.encoding.videoBitrateKbps,
      originMs: ended.originMs,
      segmentCount: ended.segments.length,
      totalBytes: ended.segments.reduce((sum, s) => sum + s.size, 0),
      generationSeconds: (Date.now() - started) / 1000,
      generatedAt: new Date().toISOString(),
    };
    await emulator.close();
    await writeFile(join(partial, 'fixture.json'), `${JSON.stringify(fixture, null, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
    log(`fixture ${key}: ${fixture.segmentCount} segments, ${(fixture.totalBytes / 1e6).toFixed(1)} MB`);
    return fixture;
  } catch (error) {
    await emulator.close().catch(() => {});
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
}
