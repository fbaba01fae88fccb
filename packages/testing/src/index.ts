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
export {
  type S3RequestRecord,
  type S3TestServer,
  type S3TestServerOptions,
  startS3TestServer,
} from './s3/s3-test-server.js';
