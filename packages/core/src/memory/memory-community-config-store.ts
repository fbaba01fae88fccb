import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { CommunityConfigStore, CommunityReplayConfig } from '../ports/community-config-store.js';
import { assertExternalId, assertPositiveInteger } from '../store-validation.js';

/** Checks a community configuration; throws INVALID_INPUT. Adapters may reuse it. */
export function assertCommunityConfig(config: CommunityReplayConfig): CommunityReplayConfig {
  assertExternalId(config.communityId, 'communityId');
  if (typeof config.enabled !== 'boolean') {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'enabled must be true or false', {
      details: { field: 'enabled' },
    });
  }
  assertPositiveInteger(config.maxConcurrent, 'maxConcurrent');
  return config;
}

/** CommunityConfigStore kept in a Map; records are copied on the way in and out. */
export class MemoryCommunityConfigStore implements CommunityConfigStore {
  /** Stored configurations by community id (protected so tests can read what was stored). */
  protected readonly records = new Map<string, CommunityReplayConfig>();

  async get(communityId: string): Promise<CommunityReplayConfig | null> {
    const record = this.records.get(communityId);
    return record ? { ...record } : null;
  }

  async set(config: CommunityReplayConfig): Promise<CommunityReplayConfig> {
    assertCommunityConfig(config);
    const record: CommunityReplayConfig = {
      communityId: config.communityId,
      enabled: config.enabled,
      maxConcurrent: config.maxConcurrent,
    };
    this.records.set(record.communityId, record);
    return { ...record };
  }
}
