// Contract suites every store adapter runs: `runXContract({ name, create, cleanup, raw })`
// registers vitest describe/it blocks. See ./types.ts for the options and raw reader shapes.
export { runClipStoreContract } from './clip-store-contract.js';
export { runCommunityConfigStoreContract } from './community-config-store-contract.js';
export {
  expectReplayError,
  newClipRecord,
  newSessionInput,
  type ReplayErrorLike,
  uniqueId,
  waitFor,
} from './helpers.js';
export { runJobLockContract } from './job-lock-contract.js';
export {
  type ManagerCaptureStores,
  type ManagerCaptureSuiteOptions,
  runManagerCaptureSuite,
} from './manager-capture-suite.js';
export { runNotifierContract } from './notifier-contract.js';
export { runQuotaLedgerContract } from './quota-ledger-contract.js';
export {
  expectLiveSaveEndsAtPress,
  expectRangeSaveShows,
  type PressInterval,
  timePress,
} from './save-window.js';
export { runSessionStoreContract } from './session-store-contract.js';
export type {
  ClipStoreContractOptions,
  ClipStoreRawReader,
  CommunityConfigStoreContractOptions,
  CommunityConfigStoreRawReader,
  ContractOptions,
  JobLockContractOptions,
  NotifierContractOptions,
  QuotaLedgerContractOptions,
  QuotaLedgerRawReader,
  RawClipRow,
  RawCommunityConfigRow,
  RawQuotaRow,
  RawSessionRow,
  SessionStoreContractOptions,
  SessionStoreRawReader,
  StoreContractOptions,
} from './types.js';
