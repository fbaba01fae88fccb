export { createMemoryStores, type MemoryStores } from './create-memory-stores.js';
export { InProcessJobLock, type InProcessJobLockOptions } from './in-process-job-lock.js';
export { InProcessNotifier, type InProcessNotifierOptions } from './in-process-notifier.js';
export {
  type ClipCursorPosition,
  DEFAULT_CLIP_PAGE_SIZE,
  decodeClipCursor,
  encodeClipCursor,
  MAX_CLIP_PAGE_SIZE,
  MemoryClipStore,
  resolveClipPageSize,
} from './memory-clip-store.js';
export { assertCommunityConfig, MemoryCommunityConfigStore } from './memory-community-config-store.js';
export { type MemoryQuotaAccount, MemoryQuotaLedger } from './memory-quota-ledger.js';
export { MemorySessionStore, type MemoryStoreOptions } from './memory-session-store.js';
