import type { CommunityConfigStore } from '@livekit-replay/core';
import {
  assertCommunityConfig,
  assertExternalId,
  type CommunityReplayConfig,
} from '@livekit-replay/core/adapter';
import { db, guard, type StoreContext, uniqueViolation } from '../internal.js';

/** CommunityConfigStore on Prisma: one row per community, written with an upsert. */
export class PrismaCommunityConfigStore implements CommunityConfigStore {
  constructor(private readonly ctx: StoreContext) {}

  async get(communityId: string): Promise<CommunityReplayConfig | null> {
    assertExternalId(communityId, 'communityId');
    return guard('reading the community replay configuration', async () => {
      const row = await db(this.ctx).communityReplayConfig.findUnique({ where: { communityId } });
      return row
        ? { communityId: row.communityId, enabled: row.enabled, maxConcurrent: row.maxConcurrent }
        : null;
    });
  }

  async set(config: CommunityReplayConfig): Promise<CommunityReplayConfig> {
    assertCommunityConfig(config);
    const fields = { enabled: config.enabled, maxConcurrent: config.maxConcurrent };
    return guard('saving the community replay configuration', async () => {
      const write = () => {
        const now = this.ctx.now();
        return db(this.ctx).communityReplayConfig.upsert({
          where: { communityId: config.communityId },
          create: { communityId: config.communityId, ...fields, createdAt: now, updatedAt: now },
          update: { ...fields, updatedAt: now },
        });
      };
      // Two first writes can race to insert; the loser updates the winner's row instead.
      const row = await write().catch((error: unknown) => {
        if (uniqueViolation(error)) return write();
        throw error;
      });
      return { communityId: row.communityId, enabled: row.enabled, maxConcurrent: row.maxConcurrent };
    });
  }
}
