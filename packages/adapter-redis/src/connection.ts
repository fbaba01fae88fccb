import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { Cluster, Redis, RedisOptions } from 'ioredis';

/** A standalone/Sentinel client or a Redis Cluster client. */
export type RedisClient = Redis | Cluster;

/**
 * Client options this package uses for the connections it opens itself. They make a command
 * fail within a few seconds when Redis is down instead of waiting in ioredis' offline queue
 * (and possibly running much later, after its caller gave up):
 * - `enableOfflineQueue: false`: a command issued while disconnected fails at once (the
 *   adapters wait for the first connection themselves, see `whenReady`);
 * - `autoResendUnfulfilledCommands: false`: a script whose reply was lost in a disconnect is
 *   not run a second time on reconnect (a CAS that ran twice would report "did not match");
 * - `commandTimeout`: a command sent into a dead socket fails instead of hanging;
 * - `maxRetriesPerRequest: 1`: nothing waits across more than one reconnect attempt.
 * Reconnection itself continues forever in the background (ioredis' default retryStrategy).
 */
export const FAIL_FAST_OPTIONS = {
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  commandTimeout: 5_000,
  connectTimeout: 5_000,
  maxRetriesPerRequest: 1,
  autoResubscribe: true,
} as const satisfies RedisOptions;

/** Wraps a driver failure into STORAGE_ERROR, naming the operation; coded errors pass through. */
export function storageError(operation: string, cause: unknown): ReplayBufferError {
  if (cause instanceof ReplayBufferError) return cause;
  const text = cause instanceof Error ? cause.message : String(cause);
  return new ReplayBufferError(
    ReplayErrorCode.STORAGE_ERROR,
    `Redis ${operation} failed: ${text}. Check that Redis is reachable; the operation may be retried.`,
    { cause, details: { operation } },
  );
}

/**
 * Clients closed through `closeClient`. ioredis leaves a client that was closed while waiting to
 * reconnect in status `reconnecting` (without reconnecting), so the status alone cannot tell.
 */
const closedClients = new WeakSet<RedisClient>();

/** One pending wait per client, however many commands are waiting for the connection. */
const pendingReady = new WeakMap<RedisClient, Promise<void>>();

/**
 * Resolves when the client can take commands, or fails with STORAGE_ERROR after `timeoutMs`.
 * A client created with `lazyConnect` is connected here. A client that was closed (`quit`,
 * `disconnect`, or a retryStrategy that gave up) fails at once.
 */
export async function whenReady(client: RedisClient, timeoutMs: number, operation: string): Promise<void> {
  if (client.status === 'ready' && !closedClients.has(client)) return;
  if (client.status === 'end' || closedClients.has(client)) {
    throw storageError(operation, new Error('the Redis connection was closed'));
  }
  let pending = pendingReady.get(client);
  if (!pending) {
    pending = waitForReady(client, timeoutMs).finally(() => pendingReady.delete(client));
    pendingReady.set(client, pending);
  }
  try {
    await pending;
  } catch (error) {
    throw storageError(operation, error);
  }
}

function waitForReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'wait') {
    // lazyConnect: start it; connect() rejects on failure, which the wait below reports.
    client.connect().catch(() => {});
  }
  return new Promise<void>((resolve, reject) => {
    let lastError: unknown;
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: unknown) => {
      lastError = error;
    };
    const onEnd = () => {
      cleanup();
      reject(lastError ?? new Error('the Redis connection was closed'));
    };
    const timer = setTimeout(() => {
      cleanup();
      const reason = `not connected to Redis within ${timeoutMs} ms (status ${client.status})`;
      reject(
        lastError instanceof Error
          ? new Error(`${reason}: ${lastError.message}`, { cause: lastError })
          : new Error(reason),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('end', onEnd);
    // The status may have changed since the caller looked.
    if (client.status === 'ready') onReady();
  });
}

/** Rejects with STORAGE_ERROR when `promise` takes longer than `timeoutMs`. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(storageError(operation, new Error(`no answer from Redis within ${timeoutMs} ms`))),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface CommandRunnerOptions {
  /** Longest wait for a connection before a command fails. Default 5000 ms. */
  readyTimeoutMs?: number;
  /**
   * Upper bound for one operation, on top of the client's own `commandTimeout` (which a
   * client handed in by the integrator may not set). Default 10000 ms.
   */
  operationTimeoutMs?: number;
}

/** Runs driver calls with the ready gate, a timeout and STORAGE_ERROR wrapping. */
export class CommandRunner {
  readonly readyTimeoutMs: number;
  readonly operationTimeoutMs: number;

  constructor(
    readonly client: RedisClient,
    options: CommandRunnerOptions = {},
  ) {
    this.readyTimeoutMs = options.readyTimeoutMs ?? 5_000;
    this.operationTimeoutMs = options.operationTimeoutMs ?? 10_000;
  }

  async run<T>(operation: string, fn: (client: RedisClient) => Promise<T>): Promise<T> {
    await whenReady(this.client, this.readyTimeoutMs, operation);
    try {
      return await withTimeout(fn(this.client), this.operationTimeoutMs, operation);
    } catch (error) {
      throw storageError(operation, error);
    }
  }
}

/** Closes a connection politely (QUIT) and waits until it is closed; drops it when Redis does not answer. */
export async function closeClient(client: RedisClient, timeoutMs = 2_000): Promise<void> {
  closedClients.add(client);
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  try {
    await withTimeout(client.quit(), timeoutMs, 'quit');
    await withTimeout(ended, timeoutMs, 'quit');
  } catch {
    client.disconnect();
  }
}
