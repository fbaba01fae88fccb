/**
 * Options shared by every contract suite, and the raw readers an adapter may pass so the suite
 * checks what actually reached the database (Auth.js style), not only what the adapter returns.
 *
 * Raw readers return plain rows with driver types normalised: BigInt → number, timestamps →
 * Date, enums → their string value. They must bypass the adapter (plain SQL, raw Redis
 * commands). Rows may carry more fields than listed; the suites only look at these.
 */
import type {
  ClipStore,
  CommunityConfigStore,
  JobLock,
  Notifier,
  QuotaLedger,
  SessionStore,
} from '@livekit-replay/core';

export interface ContractOptions<TStore> {
  /** Shown in the describe block, e.g. "prisma (postgres)". */
  name: string;
  /** Builds the store under test. Called once per suite (twice for crossInstance suites). */
  create: () => Promise<TStore> | TStore;
  /** Runs after the suite (close connections). Tests never truncate: each uses unique ids. */
  cleanup?: () => Promise<void>;
}

/** A store suite's options: the raw reader is required, its checks never silently skip. */
export interface StoreContractOptions<TStore, TRaw> extends ContractOptions<TStore> {
  /**
   * Reader over the backing store that bypasses the adapter, used to double-check writes. A
   * function is called after `create` resolved, for readers that need what `create` set up.
   */
  raw: TRaw | (() => TRaw);
}

export interface RawSessionRow {
  id: string;
  userId: string;
  status: string;
  egressId: string | null;
  communityId: string | null;
  startedAt: Date | null;
  endedAt: Date | null;
  endReason: string | null;
  error: string | null;
  missedSightings: number;
}

export interface SessionStoreRawReader {
  /** The stored session row, or null when there is none. */
  getSession(id: string): Promise<RawSessionRow | null>;
}

export interface RawClipRow {
  id: string;
  ownerId: string;
  visibility: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
}

export interface ClipStoreRawReader {
  getClip(id: string): Promise<RawClipRow | null>;
}

export interface RawQuotaRow {
  userId: string;
  usedBytes: number;
  /** Sum of the user's open reservations. */
  reservedBytes: number;
  /** The per-user override from setLimit, or null when none was set. */
  limitBytes: number | null;
}

export interface QuotaLedgerRawReader {
  /** The user's ledger, or null when nothing was ever recorded for them. */
  getQuota(userId: string): Promise<RawQuotaRow | null>;
}

export interface RawCommunityConfigRow {
  communityId: string;
  enabled: boolean;
  maxConcurrent: number;
}

export interface CommunityConfigStoreRawReader {
  getCommunityConfig(communityId: string): Promise<RawCommunityConfigRow | null>;
}

export type SessionStoreContractOptions = StoreContractOptions<SessionStore, SessionStoreRawReader>;
export type ClipStoreContractOptions = StoreContractOptions<ClipStore, ClipStoreRawReader>;
export type QuotaLedgerContractOptions = StoreContractOptions<QuotaLedger, QuotaLedgerRawReader>;
export type CommunityConfigStoreContractOptions = StoreContractOptions<
  CommunityConfigStore,
  CommunityConfigStoreRawReader
>;

export interface JobLockContractOptions extends ContractOptions<JobLock> {
  /**
   * True when separate instances from `create` share one lock (Redis): the suite then also
   * makes two instances compete. Leave false for process-local locks.
   */
  crossInstance?: boolean;
}

export interface NotifierContractOptions extends ContractOptions<Notifier> {
  /**
   * True when a notification published on one instance reaches subscribers of another
   * (Redis pub/sub): the suite then checks that across two instances from `create`.
   */
  crossInstance?: boolean;
  /** How long to wait for a delivery before failing (default 5000 ms). */
  deliveryTimeoutMs?: number;
}

/** The raw reader type of a suite's options. */
export type RawOf<TOptions> = TOptions extends { raw: infer R } ? Exclude<R, () => unknown> : never;
