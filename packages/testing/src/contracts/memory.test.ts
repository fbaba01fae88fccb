// The in-memory stores in core pass the same contracts as every adapter. The raw readers
// look at the stores' internal maps, so the suites' database-side checks run here too.
import {
  type ClipRecord,
  type CommunityReplayConfig,
  InProcessJobLock,
  InProcessNotifier,
  MemoryClipStore,
  MemoryCommunityConfigStore,
  type MemoryQuotaAccount,
  MemoryQuotaLedger,
  MemorySessionStore,
  type ReplaySession,
} from '@livekit-replay/core/adapter';
import { afterAll, expect } from 'vitest';
import { runClipStoreContract } from './clip-store-contract.js';
import { runCommunityConfigStoreContract } from './community-config-store-contract.js';
import { runJobLockContract } from './job-lock-contract.js';
import { runNotifierContract } from './notifier-contract.js';
import { runQuotaLedgerContract } from './quota-ledger-contract.js';
import { runSessionStoreContract } from './session-store-contract.js';

class InspectableSessionStore extends MemorySessionStore {
  peek(id: string): ReplaySession | undefined {
    return this.records.get(id);
  }
  count(): number {
    return this.records.size;
  }
}

class InspectableClipStore extends MemoryClipStore {
  peek(id: string): ClipRecord | undefined {
    return this.records.get(id);
  }
  count(): number {
    return this.records.size;
  }
}

class InspectableQuotaLedger extends MemoryQuotaLedger {
  peek(userId: string): MemoryQuotaAccount | undefined {
    return this.accounts.get(userId);
  }
}

class InspectableCommunityConfigStore extends MemoryCommunityConfigStore {
  peek(communityId: string): CommunityReplayConfig | undefined {
    return this.records.get(communityId);
  }
}

const sessions = new InspectableSessionStore();
runSessionStoreContract({
  name: 'memory',
  create: () => sessions,
  raw: { getSession: async (id) => sessions.peek(id) ?? null },
});

const clips = new InspectableClipStore();
runClipStoreContract({
  name: 'memory',
  create: () => clips,
  raw: { getClip: async (id) => clips.peek(id) ?? null },
});

const quotas = new InspectableQuotaLedger();
runQuotaLedgerContract({
  name: 'memory',
  create: () => quotas,
  raw: {
    getQuota: async (userId) => {
      const account = quotas.peek(userId);
      if (!account) return null;
      const reservedBytes = [...account.reservations.values()].reduce((sum, bytes) => sum + bytes, 0);
      return { userId, usedBytes: account.usedBytes, reservedBytes, limitBytes: account.limitBytes };
    },
  },
});

const communities = new InspectableCommunityConfigStore();
runCommunityConfigStoreContract({
  name: 'memory',
  create: () => communities,
  // A factory (called after create) works as well as a reader object.
  raw: () => ({ getCommunityConfig: async (id) => communities.peek(id) ?? null }),
});

runJobLockContract({ name: 'in-process', create: () => new InProcessJobLock() });

runNotifierContract({ name: 'in-process', create: () => new InProcessNotifier() });

// The session and clip suites delete what they created, so a shared database stays tidy.
afterAll(() => {
  expect(sessions.count()).toBe(0);
  expect(clips.count()).toBe(0);
});
