import { ReplayBufferError, ReplayErrorCode, type SessionStore } from '@livekit-replay/core';
import {
  assertSafeId,
  type CreateSessionOptions,
  type NewSession,
  newSessionRecord,
  type ReplaySession,
  type SessionPatch,
  type SessionStatus,
} from '@livekit-replay/core/adapter';
import { CommandRunner, type CommandRunnerOptions, type RedisClient } from './connection.js';
import { assertClusterPrefix, clientKeyPrefix, DEFAULT_KEY_PREFIX, RedisKeys } from './keys.js';
import {
  CREATE_SESSION,
  DELETE_SESSION,
  FIND_BY_EGRESS,
  FIND_LIVE_BY_USER,
  PRUNE_MISSING,
  UPDATE_SESSION,
} from './scripts.js';
import {
  assertStatus,
  assertStatuses,
  patchToArgs,
  sessionFromHash,
  sessionToHashArgs,
} from './session-codec.js';

/** Seven days: how long a stopped/failed session stays readable by default. */
export const DEFAULT_ENDED_SESSION_TTL_SECONDS = 7 * 24 * 60 * 60;

const MAX_EXTERNAL_ID_LENGTH = 128;

export interface RedisSessionStoreOptions extends CommandRunnerOptions {
  /** Prefix for every key. Default `lkr:`. Use a hash tag (`{lkr}:`) on a Redis Cluster. */
  keyPrefix?: string;
  /**
   * Seconds a terminal (`stopped`/`failed`) session is kept before Redis expires it, counted
   * from the moment it ended. `null` keeps ended sessions forever. Default 7 days. Keep it longer
   * than the segment retention, or `listEndedBefore` forgets sessions before their segments are
   * swept (the orphan-directory sweep still catches those).
   */
  endedSessionTtlSeconds?: number | null;
  /** Time source for createdAt/updatedAt; tests pass a fake clock. */
  now?: () => Date;
}

type ScriptReply = [string, ...unknown[]] | null;

/** The custom commands `defineCommand` adds to the client (names are namespaced). */
interface SessionCommands {
  lkrCreateSession(key: string, ...args: string[]): Promise<ScriptReply>;
  lkrUpdateSession(key: string, ...args: string[]): Promise<ScriptReply>;
  lkrDeleteSession(key: string, ...args: string[]): Promise<number>;
  lkrFindLiveByUser(key: string, ...args: string[]): Promise<string[] | null>;
  lkrFindByEgress(key: string, ...args: string[]): Promise<string[] | null>;
  lkrPruneMissing(key: string, ...args: string[]): Promise<number>;
}

type ScriptedRedis = RedisClient & SessionCommands;

export function defineSessionCommands(client: RedisClient): ScriptedRedis {
  const scripted = client as ScriptedRedis;
  // defineCommand is idempotent per name; several stores may share a client.
  if (typeof scripted.lkrCreateSession !== 'function') {
    client.defineCommand('lkrCreateSession', { numberOfKeys: 1, lua: CREATE_SESSION });
    client.defineCommand('lkrUpdateSession', { numberOfKeys: 1, lua: UPDATE_SESSION });
    client.defineCommand('lkrDeleteSession', { numberOfKeys: 1, lua: DELETE_SESSION });
    client.defineCommand('lkrFindLiveByUser', { numberOfKeys: 1, lua: FIND_LIVE_BY_USER });
    client.defineCommand('lkrFindByEgress', { numberOfKeys: 1, lua: FIND_BY_EGRESS });
    client.defineCommand('lkrPruneMissing', { numberOfKeys: 1, lua: PRUNE_MISSING });
  }
  return scripted;
}

function invalid(message: string, field: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, message, { details: { field } });
}

/** Integrator ids (user, community, egress): any non-empty string up to 128 characters. */
function assertExternalId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_EXTERNAL_ID_LENGTH) {
    throw invalid(
      `${field} must be a non-empty string of at most ${MAX_EXTERNAL_ID_LENGTH} characters`,
      field,
    );
  }
  try {
    // Key names carry the percent-encoded id; a lone surrogate cannot be encoded.
    encodeURIComponent(value);
  } catch {
    throw invalid(`${field} must be valid Unicode text`, field);
  }
  return value;
}

function byCreatedThenId(a: ReplaySession, b: ReplaySession): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * SessionStore on Redis. Each state change is one Lua script, so "one live session per user",
 * the community limit and webhook compare-and-set hold across any number of app instances.
 * Key layout (prefix `lkr:` by default): see the package README.
 */
export class RedisSessionStore implements SessionStore {
  private readonly keys: RedisKeys;
  private readonly runner: CommandRunner;
  private readonly ttlSeconds: number | null;
  private readonly now: () => Date;
  /**
   * The prefix the scripts build key names with. ioredis adds a client's own `keyPrefix` option
   * to KEYS and to plain commands, but not to names a script builds, so it is added here.
   */
  private readonly scriptPrefix: string;

  constructor(client: RedisClient, options: RedisSessionStoreOptions = {}) {
    this.keys = new RedisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
    assertClusterPrefix(client, this.keys.prefix);
    this.scriptPrefix = clientKeyPrefix(client) + this.keys.prefix;
    defineSessionCommands(client);
    this.runner = new CommandRunner(client, options);
    const ttl = options.endedSessionTtlSeconds;
    if (ttl !== undefined && ttl !== null && (!Number.isSafeInteger(ttl) || ttl < 1)) {
      throw new ReplayBufferError(
        ReplayErrorCode.CONFIG_INVALID,
        'endedSessionTtlSeconds must be a positive whole number of seconds, or null to keep ended sessions',
      );
    }
    this.ttlSeconds = ttl === undefined ? DEFAULT_ENDED_SESSION_TTL_SECONDS : ttl;
    this.now = options.now ?? (() => new Date());
  }

  async create(session: NewSession, options: CreateSessionOptions = {}): Promise<ReplaySession> {
    const record = newSessionRecord(session, this.now());
    const limit = options.communityLimit;
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0)) {
      throw invalid('communityLimit must be a non-negative integer', 'communityLimit');
    }
    let hashArgs: string[];
    try {
      hashArgs = sessionToHashArgs(record);
    } catch (error) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'the session has a malformed field', {
        cause: error,
      });
    }
    const reply = await this.runner.run('create session', (redis) =>
      (redis as ScriptedRedis).lkrCreateSession(
        this.keys.session(record.id),
        this.scriptPrefix,
        record.id,
        record.userId,
        record.communityId ?? '',
        // A limit only applies to sessions inside a community.
        limit === undefined || record.communityId === null ? '' : String(limit),
        String(record.createdAt.getTime()),
        record.egressId ?? '',
        ...hashArgs,
      ),
    );
    const outcome = reply?.[0];
    if (outcome === 'OK') return sessionFromHash(hashArgs);
    if (outcome === 'EXISTS') {
      throw new ReplayBufferError(
        ReplayErrorCode.INVALID_INPUT,
        `a session with id "${record.id}" already exists; use a new id`,
        { details: { sessionId: record.id } },
      );
    }
    if (outcome === 'ALREADY_ACTIVE') {
      throw new ReplayBufferError(
        ReplayErrorCode.ALREADY_ACTIVE,
        'this user already has a replay buffer running; stop it before starting another',
        { details: { sessionId: String(reply?.[1]) } },
      );
    }
    if (outcome === 'LIMIT_REACHED') {
      throw new ReplayBufferError(
        ReplayErrorCode.LIMIT_REACHED,
        'this community has reached its limit of concurrent replay buffers; try again when one stops',
        { details: { communityId: record.communityId, limit } },
      );
    }
    throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, 'unexpected reply from the create script', {
      details: { reply: String(outcome) },
    });
  }

  async get(id: string): Promise<ReplaySession | null> {
    assertSafeId(id, 'session id');
    const hash = await this.runner.run('get session', (redis) => redis.hgetall(this.keys.session(id)));
    return Object.keys(hash).length === 0 ? null : sessionFromHash(hash);
  }

  async findLiveByUser(userId: string): Promise<ReplaySession | null> {
    assertExternalId(userId, 'userId');
    const reply = await this.runner.run('find live session', (redis) =>
      (redis as ScriptedRedis).lkrFindLiveByUser(this.keys.userLive(userId), this.scriptPrefix, userId),
    );
    return reply ? sessionFromHash(reply) : null;
  }

  async findByEgressId(egressId: string): Promise<ReplaySession | null> {
    assertExternalId(egressId, 'egressId');
    const reply = await this.runner.run('find session by egress', (redis) =>
      (redis as ScriptedRedis).lkrFindByEgress(this.keys.egress(egressId), this.scriptPrefix, egressId),
    );
    return reply ? sessionFromHash(reply) : null;
  }

  async listByStatus(statuses: readonly SessionStatus[]): Promise<ReplaySession[]> {
    assertStatuses(statuses, 'statuses');
    const wanted = [...new Set(statuses)];
    if (wanted.length === 0) return [];
    // One MULTI: a consistent snapshot of the ids across the status sets.
    const ids = await this.runner.run('list sessions by status', async (redis) => {
      const multi = redis.multi();
      for (const status of wanted) multi.zrange(this.keys.status(status), '0', '-1');
      const results = (await multi.exec()) ?? [];
      const found: string[] = [];
      for (const [error, members] of results) {
        if (error) throw error;
        found.push(...(members as string[]));
      }
      return [...new Set(found)];
    });
    const sessions = await this.loadMany(ids, 'list sessions by status');
    return sessions.filter((session) => wanted.includes(session.status)).sort(byCreatedThenId);
  }

  async listEndedBefore(before: Date): Promise<ReplaySession[]> {
    if (!(before instanceof Date) || !Number.isFinite(before.getTime())) {
      throw invalid('before must be a valid Date', 'before');
    }
    const limit = before.getTime();
    const ids = await this.runner.run('list ended sessions', (redis) =>
      redis.zrangebyscore(this.keys.ended(), '-inf', `(${limit}`),
    );
    const sessions = await this.loadMany(ids, 'list ended sessions');
    return sessions
      .filter(
        (session) =>
          (session.status === 'stopped' || session.status === 'failed') &&
          session.endedAt !== null &&
          session.endedAt.getTime() < limit,
      )
      .sort((a, b) => a.endedAt!.getTime() - b.endedAt!.getTime() || byCreatedThenId(a, b));
  }

  async transition(
    id: string,
    from: readonly SessionStatus[],
    to: SessionStatus,
    patch: SessionPatch = {},
  ): Promise<ReplaySession | null> {
    assertSafeId(id, 'session id');
    assertStatuses(from, 'from');
    assertStatus(to, 'to');
    return this.update(id, from, to, patch, 'transition session');
  }

  async patch(
    id: string,
    when: readonly SessionStatus[],
    patch: SessionPatch,
  ): Promise<ReplaySession | null> {
    assertSafeId(id, 'session id');
    assertStatuses(when, 'when');
    return this.update(id, when, '', patch, 'patch session');
  }

  async delete(id: string): Promise<boolean> {
    assertSafeId(id, 'session id');
    const removed = await this.runner.run('delete session', (redis) =>
      (redis as ScriptedRedis).lkrDeleteSession(this.keys.session(id), this.scriptPrefix, id),
    );
    return removed === 1;
  }

  private async update(
    id: string,
    from: readonly SessionStatus[],
    to: SessionStatus | '',
    patch: SessionPatch,
    operation: string,
  ): Promise<ReplaySession | null> {
    const { set, del } = patchToArgs(patch ?? {});
    if (from.length === 0) return null;
    const now = this.now().getTime();
    const reply = await this.runner.run(operation, (redis) =>
      (redis as ScriptedRedis).lkrUpdateSession(
        this.keys.session(id),
        this.scriptPrefix,
        id,
        String(now),
        to,
        this.ttlSeconds === null ? '' : String(this.ttlSeconds),
        String(from.length),
        ...from,
        String(set.length),
        ...set,
        String(del.length),
        ...del,
      ),
    );
    if (reply === null) return null;
    if (reply[0] === 'OK') return sessionFromHash(reply[1] as string[]);
    if (reply[0] === 'ALREADY_ACTIVE') {
      throw new ReplayBufferError(
        ReplayErrorCode.ALREADY_ACTIVE,
        'the user already has another live replay buffer, so this one cannot become live again',
        { details: { sessionId: String(reply[1]) } },
      );
    }
    throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, 'unexpected reply from the update script', {
      details: { reply: String(reply[0]) },
    });
  }

  /** HGETALL for many ids (pipelined); ids whose hash expired are pruned from the indexes. */
  private async loadMany(ids: string[], operation: string): Promise<ReplaySession[]> {
    const sessions: ReplaySession[] = [];
    const missing: string[] = [];
    const chunkSize = 500;
    for (let start = 0; start < ids.length; start += chunkSize) {
      const chunk = ids.slice(start, start + chunkSize);
      const results = await this.runner.run(operation, async (redis) => {
        const pipeline = redis.pipeline();
        for (const id of chunk) pipeline.hgetall(this.keys.session(id));
        return (await pipeline.exec()) ?? [];
      });
      results.forEach(([error, hash], index) => {
        if (error)
          throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, error.message, { cause: error });
        const fields = hash as Record<string, string>;
        if (Object.keys(fields).length === 0) missing.push(chunk[index]!);
        else sessions.push(sessionFromHash(fields));
      });
    }
    if (missing.length > 0) {
      await this.runner.run('prune expired sessions', (redis) =>
        (redis as ScriptedRedis).lkrPruneMissing(this.keys.ended(), this.scriptPrefix, ...missing),
      );
    }
    return sessions;
  }
}
