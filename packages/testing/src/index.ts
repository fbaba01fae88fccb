// Contract suites every store adapter runs (owned by packages/testing/src/contracts).
export * from './contracts/index.js';
export * from './emulator/index.js';
export {
  decodeStampStrip,
  frameStampFilter,
  readFrameStamps,
  STAMP_BITS,
  STAMP_BLOCK,
  STAMP_HEIGHT,
  STAMP_WIDTH,
  unwrapStamp,
} from './frame-stamp.js';
