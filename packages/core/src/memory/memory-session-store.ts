import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { CreateSessionOptions, SessionStore } from '../ports/session-store.js';
import { assertNonNegativeInteger, type Clock, newSessionRecord, systemClock } from '../store-validation.js';
import {
  LIVE_SESSION_STATUSES,
  type NewSession,
  type ReplaySession,
  type SessionPatch,
  type SessionStatus,
} from '../types.js';

export interface MemoryStoreOptions {
  /** Time source for createdAt/updatedAt; tests pass a fake clock. */
  now?: Clock;
}

const TERMINAL_STATUSES: readonly SessionStatus[] = ['stopped', 'failed'];
const PATCH_FIELDS = ['egressId', 'startedAt', 'endedAt', 'endReason', 'error', 'missedSightings'] as const;

function isLive(status: SessionStatus): boolean {
  return LIVE_SESSION_STATUSES.includes(status);
}

function byCreatedThenId(a: ReplaySession, b: ReplaySession): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * SessionStore kept in a Map, for tests, demos and single-instance deployments. Every method
 * does its whole read-decide-write before its first `await`, so calls cannot interleave.
 * Records are copied on the way in and out: callers never hold the stored objects.
 *
 * Invariants every SessionStore keeps (the contract suite checks them): at most one live
 * session per user, also when `transition` heals a terminal session (ALREADY_ACTIVE); the
 * community limit counts live sessions of the same non-null community; terminal statuses are
 * left only when the caller lists them in `from`; `undefined` patch fields change nothing.
 */
export class MemorySessionStore implements SessionStore {
  /** Stored records by id (protected so tests can read what was stored). */
  protected readonly records = new Map<string, ReplaySession>();
  private readonly now: Clock;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? systemClock;
  }

  async create(session: NewSession, options: CreateSessionOptions = {}): Promise<ReplaySession> {
    const record = newSessionRecord(session, this.now());
    const limit =
      options.communityLimit === undefined
        ? undefined
        : assertNonNegativeInteger(options.communityLimit, 'communityLimit');
    if (this.records.has(session.id)) {
      throw new ReplayBufferError(
        ReplayErrorCode.INVALID_INPUT,
        `a session with id "${session.id}" already exists; use a new id`,
        { details: { sessionId: session.id } },
      );
    }
    let communityLive = 0;
    for (const existing of this.records.values()) {
      if (!isLive(existing.status)) continue;
      if (existing.userId === session.userId) {
        throw new ReplayBufferError(
          ReplayErrorCode.ALREADY_ACTIVE,
          'this user already has a replay buffer running; stop it before starting another',
          { details: { sessionId: existing.id } },
        );
      }
      if (record.communityId !== null && existing.communityId === record.communityId) communityLive++;
    }
    // The limit is per community; a session outside any community is not counted against one.
    if (limit !== undefined && record.communityId !== null && communityLive >= limit) {
      throw new ReplayBufferError(
        ReplayErrorCode.LIMIT_REACHED,
        'this community has reached its limit of concurrent replay buffers; try again when one stops',
        { details: { communityId: record.communityId, limit } },
      );
    }
    this.records.set(record.id, record);
    return structuredClone(record);
  }

  async get(id: string): Promise<ReplaySession | null> {
    const record = this.records.get(id);
    return record ? structuredClone(record) : null;
  }

  async findLiveByUser(userId: string): Promise<ReplaySession | null> {
    for (const record of this.records.values()) {
      if (record.userId === userId && isLive(record.status)) return structuredClone(record);
    }
    return null;
  }

  async findLatestByUser(userId: string): Promise<ReplaySession | null> {
    let found: ReplaySession | undefined;
    for (const record of this.records.values()) {
      if (record.userId === userId && (!found || byCreatedThenId(found, record) < 0)) found = record;
    }
    return found ? structuredClone(found) : null;
  }

  async findByEgressId(egressId: string): Promise<ReplaySession | null> {
    let found: ReplaySession | undefined;
    for (const record of this.records.values()) {
      // Egress ids are unique in practice; if not, the newest session wins.
      if (record.egressId === egressId && (!found || byCreatedThenId(found, record) < 0)) found = record;
    }
    return found ? structuredClone(found) : null;
  }

  async listByStatus(statuses: readonly SessionStatus[]): Promise<ReplaySession[]> {
    return [...this.records.values()]
      .filter((record) => statuses.includes(record.status))
      .sort(byCreatedThenId)
      .map((record) => structuredClone(record));
  }

  async listEndedBefore(before: Date): Promise<ReplaySession[]> {
    const limit = before.getTime();
    return [...this.records.values()]
      .filter(
        (record) =>
          TERMINAL_STATUSES.includes(record.status) &&
          record.endedAt !== null &&
          record.endedAt.getTime() < limit,
      )
      .sort((a, b) => a.endedAt!.getTime() - b.endedAt!.getTime() || byCreatedThenId(a, b))
      .map((record) => structuredClone(record));
  }

  async transition(
    id: string,
    from: readonly SessionStatus[],
    to: SessionStatus,
    patch: SessionPatch = {},
  ): Promise<ReplaySession | null> {
    const record = this.records.get(id);
    if (!record || !from.includes(record.status)) return null;
    if (isLive(to) && !isLive(record.status)) {
      // Healing a terminal session must not give its user a second live session.
      for (const other of this.records.values()) {
        if (other.id !== id && other.userId === record.userId && isLive(other.status)) {
          throw new ReplayBufferError(
            ReplayErrorCode.ALREADY_ACTIVE,
            'this user already has another live replay buffer; it cannot be revived',
            { details: { sessionId: other.id } },
          );
        }
      }
    }
    const next = this.applyPatch(record, patch);
    next.status = to;
    this.records.set(id, next);
    return structuredClone(next);
  }

  async patch(
    id: string,
    when: readonly SessionStatus[],
    patch: SessionPatch,
  ): Promise<ReplaySession | null> {
    const record = this.records.get(id);
    if (!record || !when.includes(record.status)) return null;
    const next = this.applyPatch(record, patch);
    this.records.set(id, next);
    return structuredClone(next);
  }

  async delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  /** A new record with the patch applied; `undefined` fields are left as they were. */
  private applyPatch(record: ReplaySession, patch: SessionPatch): ReplaySession {
    const next = structuredClone(record);
    const target = next as unknown as Record<string, unknown>;
    for (const field of PATCH_FIELDS) {
      const value = patch[field];
      if (value !== undefined) target[field] = value instanceof Date ? new Date(value.getTime()) : value;
    }
    if (patch.missedSightings !== undefined)
      assertNonNegativeInteger(patch.missedSightings, 'missedSightings');
    next.updatedAt = this.now();
    return next;
  }
}
