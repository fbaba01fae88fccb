import type { NewSession, ReplaySession, SessionPatch, SessionStatus } from '../types.js';

export interface CreateSessionOptions {
  /**
   * Maximum live (`starting` or `active`) sessions in the session's community; checked
   * atomically with the insert. Omit for no limit.
   */
  communityLimit?: number;
}

/**
 * Where replay sessions live. Every method that changes state is atomic inside the store:
 * the manager never reads, decides and writes in separate steps.
 *
 * Errors: a store throws ReplayBufferError with `ALREADY_ACTIVE` / `LIMIT_REACHED` from
 * `create`, `INVALID_INPUT` for malformed ids, and `STORAGE_ERROR` (with the driver error as
 * `cause`) when the backend fails.
 */
export interface SessionStore {
  /**
   * Inserts a `starting` session unless the user already has a live one (`ALREADY_ACTIVE`)
   * or the community is at `communityLimit` live sessions (`LIMIT_REACHED`).
   */
  create(session: NewSession, options?: CreateSessionOptions): Promise<ReplaySession>;

  get(id: string): Promise<ReplaySession | null>;

  /** The user's live session, if any (at most one exists). */
  findLiveByUser(userId: string): Promise<ReplaySession | null>;

  findByEgressId(egressId: string): Promise<ReplaySession | null>;

  /**
   * Optional: the user's newest session in any status (by `createdAt`). Without it the manager
   * scans ended sessions to find a user's just-ended buffer.
   */
  findLatestByUser?(userId: string): Promise<ReplaySession | null>;

  /** Sessions in any of `statuses`, oldest first. */
  listByStatus(statuses: readonly SessionStatus[]): Promise<ReplaySession[]>;

  /** Terminal sessions that ended before `before`, oldest first (for segment retention). */
  listEndedBefore(before: Date): Promise<ReplaySession[]>;

  /**
   * Compare-and-set: moves the session to `to` (and applies `patch`) only when its current
   * status is one of `from`. Returns the updated session, or null when the session is
   * missing or its status did not match (nothing changed).
   */
  transition(
    id: string,
    from: readonly SessionStatus[],
    to: SessionStatus,
    patch?: SessionPatch,
  ): Promise<ReplaySession | null>;

  /** Changes fields without touching the status, only when the status is one of `when`. */
  patch(id: string, when: readonly SessionStatus[], patch: SessionPatch): Promise<ReplaySession | null>;

  /** Removes the record. Returns false when it did not exist. */
  delete(id: string): Promise<boolean>;
}
