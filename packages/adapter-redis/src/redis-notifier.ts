import type { Notifier, ReplayNotification } from '@livekit-replay/core';
import type { Cluster, Redis } from 'ioredis';
import {
  CommandRunner,
  type CommandRunnerOptions,
  closeClient,
  type RedisClient,
  storageError,
  whenReady,
} from './connection.js';
import { DEFAULT_KEY_PREFIX, RedisKeys } from './keys.js';

export interface RedisNotifierOptions extends CommandRunnerOptions {
  /** Prefix for the channel name (`<prefix>notifications`). Default `lkr:`. */
  keyPrefix?: string;
  /** Called when a listener throws; the other listeners still run. Default: ignore. */
  onListenerError?: (error: unknown, notification: ReplayNotification) => void;
  /** Called for a message on the channel that is not a notification. Default: ignore. */
  onInvalidMessage?: (message: string) => void;
  /** Called with errors of the subscriber connection (it reconnects by itself). Default: ignore. */
  onConnectionError?: (error: Error) => void;
}

/**
 * The connection a notification is published on. On a Redis Cluster a plain PUBLISH goes to a
 * random node, and messages sent through different nodes can overtake each other on their way
 * to a subscriber; every instance therefore publishes through the same master (the one with the
 * lowest address), which keeps notifications in publishing order while the topology is stable.
 */
function publisherOf(client: RedisClient): Redis {
  if (!client.isCluster) return client as Redis;
  const masters = (client as Cluster).nodes('master');
  const address = (node: Redis) => `${node.options.host}:${String(node.options.port).padStart(5, '0')}`;
  const first = masters.sort((a, b) => (address(a) < address(b) ? -1 : address(a) > address(b) ? 1 : 0))[0];
  return first ?? (client as unknown as Redis);
}

function isNotification(value: unknown): value is ReplayNotification {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.type === 'string' && typeof candidate.userId === 'string';
}

/**
 * Notifier over Redis pub/sub: every instance that subscribed receives every notification, so a
 * user's UI gets it whichever instance holds its WebSocket. Publishing does not call local
 * listeners directly: they receive the message back from Redis like everyone else (one path).
 *
 * Subscriptions use one dedicated connection (a duplicate of the client), opened on the first
 * `subscribe` and closed when the last listener unsubscribes. ioredis re-subscribes after a
 * reconnect; messages published while the subscriber is disconnected are lost (pub/sub is
 * at-most-once), so a UI should refresh its state when its own connection comes back.
 */
export class RedisNotifier implements Notifier {
  private readonly channel: string;
  private readonly runner: CommandRunner;
  private readonly listeners = new Set<(notification: ReplayNotification) => void>();
  private subscriber: RedisClient | null = null;
  /** Serialises opening and closing the subscriber connection. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly options: RedisNotifierOptions;

  constructor(
    private readonly client: RedisClient,
    options: RedisNotifierOptions = {},
  ) {
    this.channel = new RedisKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX).notifications();
    this.runner = new CommandRunner(client, options);
    this.options = options;
  }

  async publish(notification: ReplayNotification): Promise<void> {
    const payload = JSON.stringify(notification);
    await this.runner.run('publish notification', (redis) =>
      publisherOf(redis).publish(this.channel, payload),
    );
  }

  async subscribe(listener: (notification: ReplayNotification) => void): Promise<() => Promise<void>> {
    // A wrapper per subscription, so subscribing the same function twice unsubscribes independently.
    const wrapped = (notification: ReplayNotification) => listener(notification);
    await this.serial(async () => {
      if (!this.subscriber) this.subscriber = await this.openSubscriber();
      this.listeners.add(wrapped);
    });
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      await this.serial(async () => {
        this.listeners.delete(wrapped);
        if (this.listeners.size === 0 && this.subscriber) {
          const subscriber = this.subscriber;
          this.subscriber = null;
          await closeClient(subscriber);
        }
      });
    };
  }

  /** Listeners currently subscribed through this notifier (for diagnostics and tests). */
  listenerCount(): number {
    return this.listeners.size;
  }

  /** The dedicated subscriber connection, while one is open (for diagnostics and tests). */
  get subscriberConnection(): RedisClient | null {
    return this.subscriber;
  }

  /** Closes the subscriber connection and drops every listener. */
  async close(): Promise<void> {
    await this.serial(async () => {
      this.listeners.clear();
      if (this.subscriber) {
        const subscriber = this.subscriber;
        this.subscriber = null;
        await closeClient(subscriber);
      }
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => {});
    return next;
  }

  private async openSubscriber(): Promise<RedisClient> {
    // Fail-fast options and autoResubscribe are forced: the subscriber must come back by itself.
    const overrides = { autoResubscribe: true, enableOfflineQueue: false };
    const subscriber: RedisClient = this.client.isCluster
      ? (this.client as Cluster).duplicate([], overrides)
      : (this.client as Redis).duplicate(overrides);
    subscriber.on('error', (error: Error) => this.options.onConnectionError?.(error));
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.dispatch(message);
    });
    try {
      await whenReady(subscriber, this.runner.readyTimeoutMs, 'subscribe to notifications');
      await subscriber.subscribe(this.channel);
      return subscriber;
    } catch (error) {
      subscriber.disconnect();
      throw storageError('subscribe to notifications', error);
    }
  }

  private dispatch(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      this.options.onInvalidMessage?.(message);
      return;
    }
    if (!isNotification(parsed)) {
      this.options.onInvalidMessage?.(message);
      return;
    }
    for (const listener of [...this.listeners]) {
      // Each listener gets its own copy, so one cannot change what the next one sees.
      const copy = structuredClone(parsed);
      try {
        listener(copy);
      } catch (error) {
        this.options.onListenerError?.(error, copy);
      }
    }
  }
}
