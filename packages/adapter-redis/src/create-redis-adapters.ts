import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { Redis, type RedisOptions } from 'ioredis';
import { type CommandRunnerOptions, closeClient, FAIL_FAST_OPTIONS, type RedisClient } from './connection.js';
import { assertKeyPrefix, DEFAULT_KEY_PREFIX } from './keys.js';
import { RedisJobLock } from './redis-job-lock.js';
import { RedisNotifier, type RedisNotifierOptions } from './redis-notifier.js';
import { RedisRateLimiter, type RedisRateLimitWindow } from './redis-rate-limiter.js';
import { RedisSessionStore, type RedisSessionStoreOptions } from './redis-session-store.js';

interface SharedOptions extends CommandRunnerOptions {
  /** Prefix for every key and the pub/sub channel. Default `lkr:`. */
  keyPrefix?: string;
  /** See RedisSessionStoreOptions. Default 7 days. */
  endedSessionTtlSeconds?: RedisSessionStoreOptions['endedSessionTtlSeconds'];
  /** Time source for session timestamps; tests pass a fake clock. */
  now?: () => Date;
  /** Errors of the connections (they reconnect by themselves). Default: ignored. */
  onConnectionError?: (error: Error) => void;
  /** Called when a notification listener throws. */
  onListenerError?: RedisNotifierOptions['onListenerError'];
  /** Windows of the shared save limit (`rateLimiter`). Default: 3 a minute, 15 an hour. */
  captureRateLimits?: RedisRateLimitWindow[];
}

export type CreateRedisAdaptersOptions = SharedOptions &
  (
    | {
        /**
         * An existing ioredis client (`Redis`, or `Cluster` with a hash-tagged `keyPrefix`). It is
         * used as it is and left open by `close()`; see the README for the client options that
         * make commands fail fast while Redis is down.
         */
        client: RedisClient;
        url?: never;
        options?: never;
      }
    | {
        client?: never;
        /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
        url?: string;
        /** ioredis options; they override this package's fail-fast defaults. */
        options?: RedisOptions;
      }
  );

export interface RedisAdapters {
  sessions: RedisSessionStore;
  notifier: RedisNotifier;
  jobLock: RedisJobLock;
  /** The per-user save limit, counted across instances (pass as the manager's `rateLimiter`). */
  rateLimiter: RedisRateLimiter;
  /** The command connection (the one handed in, or the one opened here). */
  client: RedisClient;
  /** Closes the notifier's subscriber, and the command connection when it was opened here. */
  close(): Promise<void>;
}

/**
 * The Redis-backed ports for a multi-instance deployment: sessions, cross-instance notifier and
 * job lock, sharing one command connection (plus one subscriber connection once someone
 * subscribes). Connecting happens in the background; commands wait for it up to
 * `readyTimeoutMs` and then fail with STORAGE_ERROR.
 */
export function createRedisAdapters(options: CreateRedisAdaptersOptions = {}): RedisAdapters {
  const keyPrefix = assertKeyPrefix(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const owned = !options.client;
  let client: RedisClient;
  if (options.client) {
    client = options.client;
  } else {
    const redisOptions: RedisOptions = { ...FAIL_FAST_OPTIONS, ...options.options };
    try {
      client = options.url ? new Redis(options.url, redisOptions) : new Redis(redisOptions);
    } catch (error) {
      throw new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, 'invalid Redis connection options', {
        cause: error,
      });
    }
    // Without a listener ioredis prints every reconnect error; operations report them anyway.
    client.on('error', (error: Error) => options.onConnectionError?.(error));
  }
  const runner: CommandRunnerOptions = {};
  if (options.readyTimeoutMs !== undefined) runner.readyTimeoutMs = options.readyTimeoutMs;
  if (options.operationTimeoutMs !== undefined) runner.operationTimeoutMs = options.operationTimeoutMs;

  const sessionOptions: RedisSessionStoreOptions = { ...runner, keyPrefix };
  if (options.endedSessionTtlSeconds !== undefined)
    sessionOptions.endedSessionTtlSeconds = options.endedSessionTtlSeconds;
  if (options.now) sessionOptions.now = options.now;
  const notifierOptions: RedisNotifierOptions = { ...runner, keyPrefix };
  if (options.onListenerError) notifierOptions.onListenerError = options.onListenerError;
  if (options.onConnectionError) notifierOptions.onConnectionError = options.onConnectionError;

  const sessions = new RedisSessionStore(client, sessionOptions);
  const notifier = new RedisNotifier(client, notifierOptions);
  const jobLock = new RedisJobLock(client, { ...runner, keyPrefix });
  const rateLimiter = new RedisRateLimiter(client, {
    ...runner,
    keyPrefix,
    ...(options.captureRateLimits ? { windows: options.captureRateLimits } : {}),
  });
  let closed: Promise<void> | null = null;
  return {
    sessions,
    notifier,
    jobLock,
    rateLimiter,
    client,
    close: () => {
      closed ??= (async () => {
        await notifier.close();
        if (owned) await closeClient(client);
      })();
      return closed;
    },
  };
}
