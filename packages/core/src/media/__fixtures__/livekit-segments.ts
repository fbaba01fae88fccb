import { readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { frameStampFilter } from '../../../../testing/src/frame-stamp.js';
import {
  formatLiveKitLivePlaylist,
  formatLiveKitPlaylist,
  type PlaylistItem,
} from '../../segments/__fixtures__/livekit-playlist.js';
import { formatIndexSegmentName, formatTimestampSegmentName } from '../../segments/segment-names.js';
import type { SegmentDirectoryLayout } from '../../segments/types.js';
import type { SegmentNaming } from '../../types.js';
import { runMedia } from '../process-runner.js';

/**
 * Test fixture: segments made the way LiveKit's egress makes them — MPEG-TS, H.264 (no
 * B-frames, keyframes only at segment starts, as x264enc with scenecut=0 under splitmuxsink)
 * + AAC 48 kHz, continuous timestamps across segments, durations varying around the target,
 * every frame stamped with its wall-clock time, plus LiveKit-format playlists.
 */
export interface LiveKitFixtureOptions {
  dir: string;
  prefix?: string;
  naming?: SegmentNaming;
  fps?: number;
  width?: number;
  height?: number;
  /** Frames per segment, repeated (default [29, 31, 30] at 15 fps: 1.933/2.067/2.000 s). */
  framePattern?: number[];
  segmentCount: number;
  /** Wall-clock time of frame 0, epoch ms. */
  originMs: number;
  /** Segments listed in the main playlist (default: all). */
  listed?: number;
  ended?: boolean;
  /** Encode with B-frames (not what LiveKit does; exercises the fallback). */
  bFrames?: boolean;
  /** `testsrc2` (moving test pattern, default) or `plain` (flat grey: cheapest to encode). */
  picture?: 'testsrc2' | 'plain';
  /** `sine` (default) or `silence` (cheapest to encode). */
  audio?: 'sine' | 'silence';
  /**
   * x264 rate control: quality-driven (default, CRF) or a fixed bitrate with ultrafast +
   * zerolatency, as the egress emulator encodes (its SPS/PPS match a re-encoded head's).
   */
  rateControl?: 'crf' | { bitrateKbps: number };
  ffmpegPath?: string;
}

export interface FixtureSegment extends PlaylistItem {
  path: string;
  firstFrame: number;
  frames: number;
}

export interface LiveKitFixture {
  layout: SegmentDirectoryLayout;
  segments: FixtureSegment[];
  fps: number;
  frameMs: number;
  originMs: number;
  /** Wall-clock time (epoch ms, unrounded) of frame n. */
  frameTime(n: number): number;
}

async function run(ffmpeg: string, args: string[]): Promise<void> {
  await runMedia({ binary: ffmpeg, args, timeoutMs: 600_000, stdout: 'ignore' });
}

function encoderRateOptions(rateControl: LiveKitFixtureOptions['rateControl']): string[] {
  if (rateControl === undefined || rateControl === 'crf') return ['-preset', 'superfast'];
  const kbps = rateControl.bitrateKbps;
  return [
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-b:v',
    `${kbps}k`,
    '-maxrate',
    `${kbps}k`,
    '-bufsize',
    `${kbps * 2}k`,
  ];
}

export async function generateLiveKitSegments(options: LiveKitFixtureOptions): Promise<LiveKitFixture> {
  const prefix = options.prefix ?? 'replay';
  const naming = options.naming ?? 'INDEX';
  const fps = options.fps ?? 15;
  const width = options.width ?? 854;
  const height = options.height ?? 480;
  const pattern = options.framePattern ?? [29, 31, 30];
  const ffmpeg = options.ffmpegPath ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
  const frameMs = 1000 / fps;
  const frameTime = (n: number) => options.originMs + n * frameMs;

  const counts = Array.from({ length: options.segmentCount }, (_, i) => pattern[i % pattern.length]!);
  const totalFrames = counts.reduce((a, b) => a + b, 0);
  const boundaries: number[] = [];
  let acc = 0;
  for (const c of counts.slice(0, -1)) {
    acc += c;
    boundaries.push(acc);
  }
  // Just below each boundary frame's time, so the frame at the boundary is the one chosen.
  const times = boundaries.map((f) => (f / fps - 0.000001).toFixed(6)).join(',');
  const filter = frameStampFilter({ originMs: options.originMs, fps, inputLabel: '0:v', outputLabel: 'v' });
  const pattern0 = path.join(options.dir, `${prefix}_%05d.ts`);
  await run(ffmpeg, [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    options.picture === 'plain'
      ? `color=c=gray:s=${width}x${height}:r=${fps}`
      : `testsrc2=s=${width}x${height}:r=${fps}`,
    '-f',
    'lavfi',
    '-i',
    options.audio === 'silence' ? 'anullsrc=r=48000:cl=stereo' : 'sine=frequency=440:sample_rate=48000',
    '-filter_complex',
    filter,
    '-map',
    '[v]',
    '-map',
    '1:a',
    '-frames:v',
    String(totalFrames),
    '-t',
    (totalFrames / fps).toFixed(6),
    '-c:v',
    'libx264',
    ...encoderRateOptions(options.rateControl),
    '-pix_fmt',
    'yuv420p',
    '-g',
    '100000',
    '-keyint_min',
    '100000',
    '-sc_threshold',
    '0',
    ...(options.bFrames ? ['-bf', '2'] : ['-bf', '0']),
    ...(times ? ['-force_key_frames', times] : []),
    '-c:a',
    'aac',
    '-b:a',
    '64k',
    '-ac',
    '2',
    '-f',
    'segment',
    ...(times ? ['-segment_times', times] : ['-segment_time', '100000']),
    '-segment_format',
    'mpegts',
    // GStreamer's mpegtsmux PIDs rather than ffmpeg's defaults.
    '-segment_format_options',
    'mpegts_pmt_start_pid=32:mpegts_start_pid=65',
    '-reset_timestamps',
    '0',
    pattern0,
  ]);

  const segments: FixtureSegment[] = [];
  let first = 0;
  for (let i = 0; i < counts.length; i++) {
    const frames = counts[i]!;
    const startMs = Math.round(frameTime(first));
    const indexName = formatIndexSegmentName(prefix, i);
    const name = naming === 'INDEX' ? indexName : formatTimestampSegmentName(prefix, startMs);
    if (name !== indexName) await rename(path.join(options.dir, indexName), path.join(options.dir, name));
    segments.push({
      name,
      path: path.join(options.dir, name),
      startMs,
      durationSeconds: frames / fps,
      firstFrame: first,
      frames,
    });
    first += frames;
  }
  const written = (await readdir(options.dir)).filter((n) => n.endsWith('.ts'));
  if (written.length !== counts.length) {
    throw new Error(`fixture: expected ${counts.length} segments, ffmpeg wrote ${written.length}`);
  }
  const listed = segments.slice(0, options.listed ?? segments.length);
  const layout: SegmentDirectoryLayout = {
    dir: options.dir,
    filenamePrefix: prefix,
    playlistName: `${prefix}.m3u8`,
    livePlaylistName: `${prefix}-live.m3u8`,
    naming,
    segmentDurationSeconds: 2,
  };
  const ended = options.ended ?? true;
  await writeFile(path.join(options.dir, layout.playlistName), formatLiveKitPlaylist(listed, { ended }));
  await writeFile(
    path.join(options.dir, layout.livePlaylistName),
    formatLiveKitLivePlaylist(listed, 5, ended),
  );
  return { layout, segments, fps, frameMs, originMs: options.originMs, frameTime };
}
