// Contract suites live at '@livekit-replay/testing/contracts' (they need vitest; the emulator does not).
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
