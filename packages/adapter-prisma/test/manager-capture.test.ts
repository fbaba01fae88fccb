import { runManagerCaptureSuite } from '@livekit-replay/testing/contracts';
import { createPrismaStores } from '../src/index.js';
import { DATABASES } from './support/databases.js';

// The manager's end-to-end capture suite (emulator + real SDK + real ffmpeg) with its state on
// Prisma: the real PostgreSQL in a throw-away schema, and a SQLite file; both dropped afterwards.
// Two durations per database keep the ffmpeg work modest; the memory run in core checks three.
for (const { name, create } of DATABASES) {
  runManagerCaptureSuite({
    name: `prisma (${name})`,
    durations: [10, 60],
    stores: async () => {
      const database = await create();
      try {
        return { ...createPrismaStores(database.prisma), close: () => database.drop() };
      } catch (error) {
        await database.drop();
        throw error;
      }
    },
  });
}
