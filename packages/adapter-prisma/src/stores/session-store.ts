import { ReplayBufferError, ReplayErrorCode, type SessionStore } from '@livekit-replay/core';
import {
  assertExternalId,
  assertNonNegativeInteger,
  assertSafeId,
  type CreateSessionOptions,
  type NewSession,
  newSessionRecord,
  type QualityPreset,
  type ReplaySession,
  type SegmentNaming,
  type SessionPatch,
  type SessionStatus,
} from '@livekit-replay/core/adapter';
import type { EgressSession } from '../generated/postgresql/client.js';
import {
  assertDate,
  assertOptionalDate,
  assertOptionalExternalId,
  assertOptionalText,
  assertStatus,
  assertStatuses,
  db,
  guard,
  invalid,
  LIVE,
  LOCK,
  lock,
  type StoreContext,
  transaction,
  type UniqueViolation,
  uniqueViolation,
  violates,
} from '../internal.js';

const LIVE_INDEX = 'EgressSession_one_live_per_user';
const isLive = (status: string) => status === 'starting' || status === 'active';

export function toSession(row: EgressSession): ReplaySession {
  return {
    id: row.id,
    userId: row.userId,
    roomName: row.roomName,
    videoTrackId: row.videoTrackId,
    audioTrackId: row.audioTrackId,
    communityId: row.communityId,
    channelId: row.channelId,
    quality: row.quality as QualityPreset,
    egressId: row.egressId,
    status: row.status as SessionStatus,
    segmentDir: row.segmentDir,
    filenamePrefix: row.filenamePrefix,
    playlistName: row.playlistName,
    livePlaylistName: row.livePlaylistName,
    segmentNaming: row.segmentNaming as SegmentNaming,
    segmentDurationSeconds: row.segmentDurationSeconds,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    endReason: row.endReason,
    error: row.error,
    missedSightings: row.missedSightings,
  };
}

/** Checks a patch and returns the columns it sets; `undefined` fields are left out. */
function patchData(patch: SessionPatch) {
  if (patch === null || typeof patch !== 'object') throw invalid('patch must be an object', 'patch');
  const data: SessionPatch = {};
  if (patch.egressId !== undefined) data.egressId = assertOptionalExternalId(patch.egressId, 'egressId');
  const startedAt = assertOptionalDate(patch.startedAt, 'startedAt');
  if (startedAt !== undefined) data.startedAt = startedAt;
  const endedAt = assertOptionalDate(patch.endedAt, 'endedAt');
  if (endedAt !== undefined) data.endedAt = endedAt;
  const endReason = assertOptionalText(patch.endReason, 'endReason');
  if (endReason !== undefined) data.endReason = endReason;
  const error = assertOptionalText(patch.error, 'error');
  if (error !== undefined) data.error = error;
  if (patch.missedSightings !== undefined) {
    data.missedSightings = assertNonNegativeInteger(patch.missedSightings, 'missedSightings');
  }
  return data;
}

function alreadyActive(sessionId: string | undefined, reviving: boolean): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.ALREADY_ACTIVE,
    reviving
      ? 'this user already has another live replay buffer; it cannot be revived'
      : 'this user already has a replay buffer running; stop it before starting another',
    { details: { sessionId } },
  );
}

function egressTaken(egressId: string | null | undefined): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.INVALID_INPUT,
    'this egress id already belongs to another session',
    { details: { field: 'egressId', egressId } },
  );
}

/**
 * SessionStore on Prisma. Races are settled in the database: the partial unique index
 * "one live session per user" (migrations) backs every write, PostgreSQL advisory locks on
 * the user and the community serialise the check-then-insert of `create`, and transitions
 * are single conditional UPDATE … RETURNING statements.
 */
export class PrismaSessionStore implements SessionStore {
  constructor(private readonly ctx: StoreContext) {}

  async create(session: NewSession, options: CreateSessionOptions = {}): Promise<ReplaySession> {
    const data = newSessionRecord(session, this.ctx.now());
    const { communityId } = data;
    const limit =
      options.communityLimit === undefined
        ? undefined
        : assertNonNegativeInteger(options.communityLimit, 'communityLimit');
    return guard('creating the replay session', async () => {
      try {
        const row = await transaction(this.ctx, 'EgressSession', async (tx) => {
          // Always user first, then community: one order everywhere, so no deadlocks.
          await lock(this.ctx, tx, LOCK.user, data.userId);
          const checkLimit = limit !== undefined && communityId !== null;
          if (checkLimit) await lock(this.ctx, tx, LOCK.community, communityId);
          if (await tx.egressSession.findUnique({ where: { id: data.id }, select: { id: true } })) {
            throw new ReplayBufferError(
              ReplayErrorCode.INVALID_INPUT,
              `a session with id "${data.id}" already exists; use a new id`,
              { details: { sessionId: data.id } },
            );
          }
          const live = await tx.egressSession.findFirst({
            where: { userId: data.userId, status: { in: LIVE } },
            select: { id: true },
          });
          if (live) throw alreadyActive(live.id, false);
          if (checkLimit) {
            const count = await tx.egressSession.count({ where: { communityId, status: { in: LIVE } } });
            if (count >= limit) {
              throw new ReplayBufferError(
                ReplayErrorCode.LIMIT_REACHED,
                'this community has reached its limit of concurrent replay buffers; try again when one stops',
                { details: { communityId, limit } },
              );
            }
          }
          return tx.egressSession.create({ data });
        });
        return toSession(row);
      } catch (error) {
        throw await this.explainConflict(error, data.userId, data.egressId, false);
      }
    });
  }

  /** Turns a unique violation into the domain error (for writers the locks did not cover). */
  private async explainConflict(
    error: unknown,
    userId: string | undefined,
    egressId: string | null | undefined,
    reviving: boolean,
  ): Promise<unknown> {
    const violation: UniqueViolation | null = uniqueViolation(error);
    if (!violation) return error;
    if (violates(violation, LIVE_INDEX, ['userId'])) {
      const live = userId
        ? await db(this.ctx)
            .egressSession.findFirst({ where: { userId, status: { in: LIVE } }, select: { id: true } })
            .catch(() => null)
        : null;
      return alreadyActive(live?.id, reviving);
    }
    if (violates(violation, 'EgressSession_egressId_key', ['egressId'])) return egressTaken(egressId);
    if (violates(violation, 'EgressSession_pkey', ['id'])) {
      return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'a session with this id already exists', {
        cause: error,
      });
    }
    return error;
  }

  async get(id: string): Promise<ReplaySession | null> {
    assertSafeId(id, 'session id');
    return guard('reading the replay session', async () => {
      const row = await db(this.ctx).egressSession.findUnique({ where: { id } });
      return row ? toSession(row) : null;
    });
  }

  async findLiveByUser(userId: string): Promise<ReplaySession | null> {
    assertExternalId(userId, 'userId');
    return guard('reading the live replay session', async () => {
      const row = await db(this.ctx).egressSession.findFirst({
        where: { userId, status: { in: LIVE } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      });
      return row ? toSession(row) : null;
    });
  }

  async findByEgressId(egressId: string): Promise<ReplaySession | null> {
    assertExternalId(egressId, 'egressId');
    return guard('reading the replay session', async () => {
      const row = await db(this.ctx).egressSession.findUnique({ where: { egressId } });
      return row ? toSession(row) : null;
    });
  }

  async listByStatus(statuses: readonly SessionStatus[]): Promise<ReplaySession[]> {
    const wanted = assertStatuses(statuses, 'statuses');
    if (wanted.length === 0) return [];
    return guard('listing replay sessions', async () => {
      const rows = await db(this.ctx).egressSession.findMany({
        where: { status: { in: wanted } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(toSession);
    });
  }

  async listEndedBefore(before: Date): Promise<ReplaySession[]> {
    assertDate(before, 'before');
    return guard('listing ended replay sessions', async () => {
      const rows = await db(this.ctx).egressSession.findMany({
        where: { status: { in: ['stopped', 'failed'] }, endedAt: { lt: before } },
        orderBy: [{ endedAt: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
      });
      return rows.map(toSession);
    });
  }

  async transition(
    id: string,
    from: readonly SessionStatus[],
    to: SessionStatus,
    patch: SessionPatch = {},
  ): Promise<ReplaySession | null> {
    assertSafeId(id, 'session id');
    const fromStatuses = assertStatuses(from, 'from');
    assertStatus(to, 'to');
    const data = { ...patchData(patch), status: to, updatedAt: this.ctx.now() };
    if (fromStatuses.length === 0) return null;
    const reviving = isLive(to) && fromStatuses.some((status) => !isLive(status));
    return guard('changing the replay session status', async () => {
      if (!reviving) {
        // One conditional UPDATE … RETURNING: atomic compare-and-set in both databases.
        try {
          const rows = await db(this.ctx).egressSession.updateManyAndReturn({
            where: { id, status: { in: fromStatuses } },
            data,
          });
          return rows[0] ? toSession(rows[0]) : null;
        } catch (error) {
          throw await this.explainConflict(error, undefined, data.egressId, false);
        }
      }
      // Reviving a terminal session: check the user's other sessions under the user lock.
      let userId: string | undefined;
      try {
        return await transaction(this.ctx, 'EgressSession', async (tx) => {
          const current = await tx.egressSession.findUnique({
            where: { id },
            select: { userId: true, status: true },
          });
          if (!current || !fromStatuses.includes(current.status as SessionStatus)) return null;
          userId = current.userId;
          await lock(this.ctx, tx, LOCK.user, current.userId);
          const other = await tx.egressSession.findFirst({
            where: { userId: current.userId, status: { in: LIVE }, id: { not: id } },
            select: { id: true },
          });
          if (other) throw alreadyActive(other.id, true);
          const rows = await tx.egressSession.updateManyAndReturn({
            where: { id, status: { in: fromStatuses } },
            data,
          });
          return rows[0] ? toSession(rows[0]) : null;
        });
      } catch (error) {
        throw await this.explainConflict(error, userId, data.egressId, true);
      }
    });
  }

  async patch(
    id: string,
    when: readonly SessionStatus[],
    patch: SessionPatch,
  ): Promise<ReplaySession | null> {
    assertSafeId(id, 'session id');
    const whenStatuses = assertStatuses(when, 'when');
    const data = { ...patchData(patch), updatedAt: this.ctx.now() };
    if (whenStatuses.length === 0) return null;
    return guard('updating the replay session', async () => {
      try {
        const rows = await db(this.ctx).egressSession.updateManyAndReturn({
          where: { id, status: { in: whenStatuses } },
          data,
        });
        return rows[0] ? toSession(rows[0]) : null;
      } catch (error) {
        throw await this.explainConflict(error, undefined, data.egressId, false);
      }
    });
  }

  async delete(id: string): Promise<boolean> {
    assertSafeId(id, 'session id');
    return guard('deleting the replay session', async () => {
      const { count } = await db(this.ctx).egressSession.deleteMany({ where: { id } });
      return count > 0;
    });
  }
}
