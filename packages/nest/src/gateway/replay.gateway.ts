import type { ReplayBufferManager } from '@livekit-replay/core';
import { Inject, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { OnGatewayConnection, OnGatewayInit } from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import type { ReplayBufferModuleOptions } from '../options.js';
import { REPLAY_BUFFER_MANAGER, REPLAY_MODULE_OPTIONS } from '../tokens.js';

/** Sent to a socket once it is authenticated and subscribed: events from now on reach it. */
export const REPLAY_SOCKET_READY = 'REPLAY_READY';
/** Sent to a socket just before it is disconnected for failing `authenticateSocket`. */
export const REPLAY_SOCKET_UNAUTHORIZED = 'REPLAY_UNAUTHORIZED';

/** The socket.io room holding every connection of one user (on this instance). */
export function userRoom(userId: string): string {
  return `livekit-replay:user:${userId}`;
}

/**
 * socket.io gateway (namespace `/livekit-replay`): each connection is authenticated by the
 * integrator's `authenticateSocket` hook and joins its user's room; every manager notification
 * is emitted to that room under its `type` (REPLAY_BUFFER_STARTED, CLIP_READY …). With a
 * cross-instance notifier (Redis), every instance receives every notification and delivers it
 * to the sockets it holds, so no socket.io adapter is needed.
 */
export class ReplayGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  private readonly logger = new Logger('ReplayGateway');
  private unsubscribe: Promise<() => Promise<void>> | null = null;

  constructor(
    @Inject(REPLAY_BUFFER_MANAGER) private readonly manager: ReplayBufferManager,
    @Inject(REPLAY_MODULE_OPTIONS) private readonly options: ReplayBufferModuleOptions,
  ) {}

  afterInit(server: Namespace): void {
    this.unsubscribe = this.manager.subscribe((notification) => {
      server.to(userRoom(notification.userId)).emit(notification.type, notification);
    });
    this.unsubscribe.catch((error: unknown) =>
      this.logger.error(`cannot subscribe to notifications: ${error}`),
    );
  }

  async handleConnection(socket: Socket): Promise<void> {
    let userId: string | null | undefined;
    try {
      userId = await this.options.authenticateSocket?.(socket);
    } catch {
      userId = null;
    }
    if (typeof userId !== 'string' || userId === '') {
      socket.emit(REPLAY_SOCKET_UNAUTHORIZED, { code: 'UNAUTHENTICATED', message: 'connection refused' });
      socket.disconnect(true);
      return;
    }
    await socket.join(userRoom(userId));
    socket.emit(REPLAY_SOCKET_READY, { userId });
  }

  async onModuleDestroy(): Promise<void> {
    const pending = this.unsubscribe;
    this.unsubscribe = null;
    const stop = await pending?.catch(() => null);
    await stop?.();
  }
}
