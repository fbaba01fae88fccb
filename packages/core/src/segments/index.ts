// Hardening (untrusted segment directories): what integrators see in events and metadata.
export { isSweepCandidate } from './directory-sweep.js';
export type { EndClampReason } from './live-edge.js';
// The in-process MPEG-TS reader (no ffmpeg): frame and keyframe times, stream layout, SPS.
export { type H264Sps, parseH264Sps } from './mpegts/h264-sps.js';
export { readTs, type TsLayout, type TsReadResult, type TsVideoFrame } from './mpegts/ts-reader.js';
export type { SegmentAnomaly, SegmentAnomalyKind } from './plausibility.js';
export {
  type ParsedPlaylist,
  type PlaylistEntry,
  parsePlaylist,
  parseProgramDateTime,
} from './playlist.js';
export { MAX_PLAYLIST_BYTES } from './safe-files.js';
export {
  DEFAULT_GAP_TOLERANCE_MS,
  type ReadSegmentIndexOptions,
  readSegmentIndex,
} from './segment-index.js';
export {
  assertSegmentPrefix,
  formatIndexSegmentName,
  formatTimestampSegmentName,
  isSegmentName,
  type ParsedSegmentName,
  parseSegmentName,
  SEGMENT_PREFIX_PATTERN,
} from './segment-names.js';
export {
  createSegmentProber,
  defaultSegmentProber,
  probeSegmentFile,
  type SegmentProbe,
  type SegmentProber,
  toSegmentProbe,
} from './segment-probe.js';
export {
  type CoverageResult,
  type SegmentRange,
  type SegmentSelection,
  type SelectSegmentsResult,
  selectSegments,
  type WaitForCoverageOptions,
  waitForCoverage,
} from './select.js';
export type {
  RejectedSegmentFile,
  Segment,
  SegmentDirectoryLayout,
  SegmentGap,
  SegmentIndexSnapshot,
} from './types.js';
