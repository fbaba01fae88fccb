import { existsSync } from 'node:fs';
import { frameStampFilter, STAMP_HEIGHT } from '../frame-stamp.js';
import type { ResolvedEncoding } from './encoding.js';

/**
 * Keyframe schedule. LiveKit's splitmuxsink cuts a segment at the first keyframe after the
 * target duration, so real segment durations vary around it. We force one keyframe near each
 * boundary k·T, moved by −1/0/+1 frame with a deterministic pattern, and let ffmpeg's segment
 * muxer cut there (its `segment_time_delta` accepts a keyframe one frame early). Knowing the
 * schedule lets the writer name a segment (TIMESTAMP suffix) the moment it starts.
 */
export function boundaryFrame(k: number, framesPerSegment: number): number {
  if (k <= 0) return 0;
  return Math.round(k * framesPerSegment) + jitter(k, framesPerSegment);
}

function jitter(k: number, framesPerSegment: number): number {
  if (framesPerSegment < 4) return 0;
  return (Math.floor(k * 11.326238) % 3) - 1;
}

/** The same schedule as an ffmpeg `-force_key_frames expr:` expression. */
export function keyframeExpression(framesPerSegment: number): string {
  const F = framesPerSegment;
  const k = `round(n/${F})`;
  const j = F < 4 ? '0' : `mod(floor(${k}*11.326238),3)-1`;
  return `expr:eq(n,0)+gt(${k},0)*eq(n,round(${k}*${F})+${j})`;
}

export interface FfmpegPlan {
  encoding: ResolvedEncoding;
  /** Wall-clock ms of frame 0 (origin of the egress's timeline). */
  originMs: number;
  /** Seconds of history encoded as fast as possible before real-time pacing starts. */
  historySeconds: number;
  segmentSeconds: number;
  /** Staging file pattern, e.g. `/tmp/x/seg_%09d.ts`. */
  stagingPattern: string;
}

/**
 * ffmpeg arguments: a moving test picture with the wall clock burnt in (frame stamp), a white
 * flash on the first frame of every wall-clock second and a 50 ms 1 kHz beep starting exactly at
 * every wall-clock second (for A/V sync checks), H.264 + AAC in MPEG-TS segments.
 *
 * Pacing: `setpts=max(0,PTS-H)` collapses the first H seconds onto t=0 so the `realtime` filter
 * lets them through at full speed, then paces the rest against the wall clock (frame at stream
 * time t is released no earlier than origin + t); `setpts=N/fps` restores the real timestamps.
 * If the history takes longer to encode than planned, the huge `limit` makes it catch up
 * instead of re-anchoring, so content never runs ahead of, or permanently behind, the clock.
 */
/** Fonts Debian's ffmpeg brings along (through fontconfig); the readable clock needs one. */
const CLOCK_FONTS = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
];

/**
 * The wall clock as text (UTC, milliseconds) below the frame stamp, for people watching a clip;
 * tests read the machine stamp instead. Left out when no font is installed.
 */
export function clockText(originMs: number, height: number, fonts: readonly string[] = CLOCK_FONTS): string {
  const font = fonts.find((f) => existsSync(f));
  if (!font) return '';
  const originSeconds = (originMs / 1000).toFixed(3);
  const frac = ((originMs % 1000) / 1000).toFixed(3);
  const size = Math.max(16, Math.round(height / 24));
  const hms = String.raw`%{pts\:gmtime\:${originSeconds}\:%Y-%m-%d %H\\\:%M\\\:%S}`;
  const ms = String.raw`%{eif\:mod(floor((t+${frac})*1000)\,1000)\:d\:3}`;
  return (
    `,drawtext=fontfile=${font}:fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.6:` +
    `x=24:y=${STAMP_HEIGHT + 12}:text='${hms}.${ms} UTC'`
  );
}

export function buildFfmpegArgs(plan: FfmpegPlan): string[] {
  const { encoding: e, originMs, historySeconds, segmentSeconds } = plan;
  const fps = e.fps;
  const frac = ((originMs % 1000) / 1000).toFixed(3);
  const flash = `lt(mod(${frac}+t+0.000001\\,1)\\,${(1 / fps).toFixed(6)})`;
  const beep = `if(lt(mod(${frac}+t\\,1)\\,0.05)\\,0.5*sin(2*PI*1000*t)\\,0)`;
  const graph = [
    `testsrc2=size=${e.width}x${e.height}:rate=${fps},` +
      `drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='${flash}'${clockText(originMs, e.height)}[src]`,
    frameStampFilter({ originMs, fps, inputLabel: 'src', outputLabel: 'stamped' }),
    `[stamped]setpts='max(0\\,PTS-${historySeconds}/TB)',realtime=limit=1000000,` +
      `setpts=N/(${fps}*TB),format=yuv420p[v]`,
    `aevalsrc=exprs='${beep}':s=${e.audioSampleRate}:c=mono,aformat=channel_layouts=stereo[a]`,
  ].join(';');
  const framesPerSegment = segmentSeconds * fps;
  const kbps = e.videoBitrateKbps;
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostats',
    '-filter_complex',
    graph,
    '-map',
    '[v]',
    '-map',
    '[a]',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-g',
    '100000',
    '-sc_threshold',
    '0',
    '-force_key_frames',
    keyframeExpression(framesPerSegment),
    '-b:v',
    `${kbps}k`,
    '-maxrate',
    `${kbps}k`,
    '-bufsize',
    `${kbps * 2}k`,
    '-c:a',
    'aac',
    '-b:a',
    `${e.audioBitrateKbps}k`,
    '-ar',
    String(e.audioSampleRate),
    '-ac',
    String(e.audioChannels),
    '-f',
    'segment',
    '-segment_time',
    String(segmentSeconds),
    '-segment_time_delta',
    (1.5 / fps).toFixed(6),
    '-segment_format',
    'mpegts',
    // Without this the segment's bytes reach the disk in 256 KB blocks (often only at close).
    '-segment_format_options',
    'flush_packets=1',
    '-reset_timestamps',
    '0',
    '-segment_list',
    'pipe:1',
    '-segment_list_type',
    'csv',
    plan.stagingPattern,
  ];
}
