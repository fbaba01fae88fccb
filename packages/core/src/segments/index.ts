export {
  type ParsedPlaylist,
  type PlaylistEntry,
  parsePlaylist,
  parseProgramDateTime,
} from './playlist.js';
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
  type CoverageResult,
  type SegmentRange,
  type SegmentSelection,
  type SelectSegmentsResult,
  selectSegments,
  type WaitForCoverageOptions,
  waitForCoverage,
} from './select.js';
export type { Segment, SegmentDirectoryLayout, SegmentGap, SegmentIndexSnapshot } from './types.js';
