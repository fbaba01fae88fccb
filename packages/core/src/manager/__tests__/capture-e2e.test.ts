/**
 * The foundation end to end on the in-memory stores: the shared suite from
 * @livekit-replay/testing (real livekit-server-sdk → egress emulator, real ffmpeg, frame-stamp
 * checks of the saved window). The Prisma and Redis adapters run the same suite.
 */
import { runManagerCaptureSuite } from '@livekit-replay/testing/contracts';
import { createMemoryStores } from '../../memory/index.js';

runManagerCaptureSuite({
  name: 'memory',
  stores: async () => createMemoryStores(),
  durations: [10, 30, 60],
});
