// The manager's end-to-end capture suite (emulator + real SDK + real ffmpeg) with its sessions in
// the real Redis. Redis holds sessions only; clips, quotas and community settings stay in memory.
import { createMemoryStores } from '@livekit-replay/core';
import { runManagerCaptureSuite } from '@livekit-replay/testing/contracts';
import { RedisSessionStore } from './redis-session-store.js';
import { connectSharedRedis, deletePrefix, uniquePrefix } from './test-support/redis-env.js';

runManagerCaptureSuite({
  name: 'redis sessions',
  durations: [10, 60],
  stores: async () => {
    const prefix = uniquePrefix('manager-capture');
    const client = await connectSharedRedis();
    const memory = createMemoryStores();
    return {
      sessions: new RedisSessionStore(client, { keyPrefix: prefix }),
      clips: memory.clips,
      quotas: memory.quotas,
      communities: memory.communities,
      close: async () => {
        // Keys first, so a connection slow to close cannot leave test data behind.
        try {
          await deletePrefix(client, prefix);
        } finally {
          client.disconnect();
        }
      },
    };
  },
});
