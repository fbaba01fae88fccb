import path from 'node:path';
import { x264ProfileName } from '../segments/mpegts/h264-sps.js';
import type { SegmentProbe } from '../segments/segment-probe.js';
import type { Segment } from '../segments/types.js';
import { EPS, type RunPlan } from './cut-plan.js';
import { runMedia, segmentInputArgs } from './process-runner.js';

/** The stream facts a cut needs, from the first segment's headers (see readTs). */
export type SourceFacts = Required<Pick<SegmentProbe, 'layout' | 'sps' | 'reordered'>>;

export interface HeadEncodeOptions {
  ffmpegPath: string;
  preset: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onFraction?: (fraction: number) => void;
}

/**
 * Re-encodes a run's head — from the cut frame to the next keyframe (the end of the first
 * segment) — to MPEG-TS with the source's profile, level, size, pixel format, colour, PIDs and
 * program, so it joins the copied segments by byte concatenation. Memory and CPU stay small: one
 * decoder and one x264 thread (a head is at most one GOP; threads only add frames in flight and
 * synchronisation), no lookahead, no B-frames.
 */
export async function encodeHead(
  plan: RunPlan,
  source: SourceFacts,
  outputPath: string,
  options: HeadEncodeOptions,
): Promise<void> {
  const head = plan.head!;
  const sps = source.sps;
  let select = `gte(t\\,${(plan.firstPts - EPS).toFixed(6)})`;
  if (head.untilEnd) select += `*lt(t\\,${(plan.endPts - EPS).toFixed(6)})`;
  const seconds = head.inputs.reduce((sum, s) => sum + s.durationSeconds, 0);
  const bytes = head.inputs.reduce((sum, s) => sum + s.sizeBytes, 0);
  const headSeconds = head.untilEnd ? plan.endPts - plan.firstPts : seconds;
  // Cap the re-encode near the source's own bitrate (x2), quality-driven below that.
  const maxrate = Math.max(500_000, Math.ceil(((bytes * 8) / Math.max(seconds, 0.5)) * 2));
  const profile = sps ? x264ProfileName(sps.profileIdc) : null;
  const hasAudio = source.layout.audioPid !== null;
  const dir = path.dirname(head.inputs[0]!.path);
  const url = concatUrl(head.inputs.map((s) => relativeTo(dir, s)));
  await runMedia({
    binary: options.ffmpegPath,
    cwd: dir,
    timeoutMs: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (p) => {
      if (p.outTimeSeconds === null) return;
      const done = Math.max(0, p.outTimeSeconds - plan.firstPts) / Math.max(headSeconds, 0.001);
      options.onFraction?.(Math.min(1, done));
    },
    args: [
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-y',
      '-threads',
      '1',
      '-copyts',
      ...segmentInputArgs(url),
      '-map',
      '0:v:0',
      ...(hasAudio ? ['-map', '0:a:0'] : []),
      '-vf',
      `select='${select}'`,
      '-filter_threads',
      '1',
      '-fps_mode',
      'passthrough',
      '-enc_time_base:v',
      '-1',
      '-c:v',
      'libx264',
      '-preset',
      options.preset,
      ...(profile ? ['-profile:v', profile] : []),
      ...(sps && sps.levelIdc > 0 ? ['-level:v', (sps.levelIdc / 10).toFixed(1)] : []),
      '-pix_fmt',
      'yuv420p',
      '-bf',
      '0',
      '-crf',
      '18',
      '-maxrate',
      String(maxrate),
      '-bufsize',
      String(maxrate),
      '-threads:v',
      '1',
      // stitchable: headers that do not depend on this content; force-cfr: VUI timing from
      // the frame rate. No lookahead: a head is at most one GOP and memory stays bounded.
      '-x264-params',
      'stitchable=1:force-cfr=1:rc-lookahead=0:sync-lookahead=0:lookahead-threads=1',
      ...colorOptions(source),
      ...(hasAudio ? ['-c:a', 'copy'] : []),
      ...tsMuxOptions(source),
      '-f',
      'mpegts',
      outputPath,
    ],
  });
}

function colorOptions(source: SourceFacts): string[] {
  const sps = source.sps;
  if (!sps) return [];
  const out: string[] = [];
  if (sps.colorPrimaries) out.push('-color_primaries', sps.colorPrimaries);
  if (sps.colorTransfer) out.push('-color_trc', sps.colorTransfer);
  if (sps.colorSpace) out.push('-colorspace', sps.colorSpace);
  if (sps.colorRange) out.push('-color_range', sps.colorRange);
  return out;
}

/** Writes the head with the source's program number and PIDs so byte concatenation joins cleanly. */
function tsMuxOptions(source: SourceFacts): string[] {
  const { layout } = source;
  const out = ['-muxdelay', '0', '-muxpreload', '0'];
  if (layout.programNumber) out.push('-mpegts_service_id', String(layout.programNumber));
  if (layout.pmtPid && layout.pmtPid >= 16) out.push('-mpegts_pmt_start_pid', String(layout.pmtPid));
  if (layout.videoPid && layout.videoPid >= 16) out.push('-streamid', `0:${layout.videoPid}`);
  if (layout.audioPid && layout.audioPid >= 16) out.push('-streamid', `1:${layout.audioPid}`);
  return out;
}

/** Segment names are validated; within their own directory they need no path at all. */
export function relativeTo(dir: string, segment: Segment): string {
  return path.dirname(segment.path) === dir ? path.basename(segment.path) : segment.path;
}

export function concatUrl(parts: string[]): string {
  return parts.length === 1 ? parts[0]! : `concat:${parts.join('|')}`;
}
