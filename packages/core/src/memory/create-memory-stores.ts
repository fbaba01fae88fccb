import { MemoryClipStore } from './memory-clip-store.js';
import { MemoryCommunityConfigStore } from './memory-community-config-store.js';
import { MemoryQuotaLedger } from './memory-quota-ledger.js';
import { MemorySessionStore, type MemoryStoreOptions } from './memory-session-store.js';

export interface MemoryStores {
  sessions: MemorySessionStore;
  clips: MemoryClipStore;
  quotas: MemoryQuotaLedger;
  communities: MemoryCommunityConfigStore;
}

/** Every store the manager needs, in memory: for tests, demos and single-instance setups. */
export function createMemoryStores(options: MemoryStoreOptions = {}): MemoryStores {
  return {
    sessions: new MemorySessionStore(options),
    clips: new MemoryClipStore(),
    quotas: new MemoryQuotaLedger(),
    communities: new MemoryCommunityConfigStore(),
  };
}
