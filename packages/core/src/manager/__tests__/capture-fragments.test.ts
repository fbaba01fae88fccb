/**
 * The end-to-end capture suite with the fragment cut on (`fragmentCache: true`): saves join
 * cached per-segment fMP4 fragments and must pass every check the remux path passes.
 */
import { runManagerCaptureSuite } from '@livekit-replay/testing/contracts';
import { createMemoryStores } from '../../memory/index.js';

runManagerCaptureSuite({
  name: 'memory, fragment cut',
  stores: async () => createMemoryStores(),
  durations: [10, 60],
  config: { fragmentCache: true },
});
