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
