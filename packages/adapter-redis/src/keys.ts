import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';

/** Default prefix for every key and channel this package touches. */
export const DEFAULT_KEY_PREFIX = 'lkr:';

/**
 * A prefix may hold letters, digits and `: _ - . { }` (braces for a Redis Cluster hash tag such
 * as `{lkr}:`). Nothing that is a glob character, so `SCAN MATCH <prefix>*` stays exact.
 */
const PREFIX_PATTERN = /^[A-Za-z0-9:_.{}-]{1,64}$/;

export function assertKeyPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      'keyPrefix must be 1-64 characters of letters, digits, ":", "_", "-", ".", "{" or "}"',
      { details: { field: 'keyPrefix' } },
    );
  }
  return prefix;
}

/**
 * External ids (user, community, egress) may contain any character; they are percent-encoded in
 * key names so that `:` or a `{…}` hash tag inside an id cannot change the key's meaning or slot.
 * The Lua scripts receive the already-encoded form.
 */
export function keyPart(value: string): string {
  return encodeURIComponent(value);
}

/** Every key of the layout, derived from one prefix (the Lua scripts build the same names). */
export class RedisKeys {
  constructor(readonly prefix: string) {
    assertKeyPrefix(prefix);
  }

  /** Hash holding one session's fields. */
  session(id: string): string {
    return `${this.prefix}session:${id}`;
  }

  /** String: id of the user's live (`starting`/`active`) session. */
  userLive(userId: string): string {
    return `${this.prefix}user-live:${keyPart(userId)}`;
  }

  /** Set: ids of the community's live sessions. */
  communityLive(communityId: string): string {
    return `${this.prefix}community-live:${keyPart(communityId)}`;
  }

  /** String: id of the session that owns a LiveKit egress. */
  egress(egressId: string): string {
    return `${this.prefix}egress:${keyPart(egressId)}`;
  }

  /** Sorted set of session ids in one status, score = createdAt (epoch ms). */
  status(status: string): string {
    return `${this.prefix}status:${status}`;
  }

  /** Sorted set of terminal sessions with an endedAt, score = endedAt (epoch ms). */
  ended(): string {
    return `${this.prefix}ended`;
  }

  /** String holding the token of a job lease. */
  lock(name: string): string {
    return `${this.prefix}lock:${keyPart(name)}`;
  }

  /** Pub/sub channel for notifications. */
  notifications(): string {
    return `${this.prefix}notifications`;
  }
}

/** A client's own ioredis `keyPrefix` option (ioredis adds it to every key it sends). */
export function clientKeyPrefix(client: { options?: unknown }): string {
  const options = client.options as { keyPrefix?: unknown } | undefined;
  return typeof options?.keyPrefix === 'string' ? options.keyPrefix : '';
}

/**
 * On a Redis Cluster every key of this package must hash to one slot (the scripts touch several
 * keys), so the effective prefix needs a hash tag: `{lkr}:`. Ids inside keys are percent-encoded,
 * so they cannot bring a tag of their own.
 */
export function assertClusterPrefix(
  client: { isCluster?: boolean; options?: unknown },
  prefix: string,
): void {
  if (!client.isCluster) return;
  const full = clientKeyPrefix(client) + prefix;
  const open = full.indexOf('{');
  const close = open === -1 ? -1 : full.indexOf('}', open + 1);
  if (open === -1 || close <= open + 1) {
    throw new ReplayBufferError(
      ReplayErrorCode.CONFIG_INVALID,
      `on a Redis Cluster the key prefix needs a hash tag so that every key lands in one slot: use e.g. "{${prefix.replace(/[{}:]+$/, '') || 'lkr'}}:" instead of "${full}"`,
      { details: { field: 'keyPrefix' } },
    );
  }
}
