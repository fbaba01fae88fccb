import type { IncomingMessage } from 'node:http';
import type { ReplayBufferManager, ReplayBufferManagerOptions } from '@livekit-replay/core';
import { DEFAULT_ROUTE_PREFIX, DEFAULT_WEBHOOK_PATH } from '@livekit-replay/core/contract';
import type { CanActivate, Type } from '@nestjs/common';

/** The HTTP request as the app's own middleware and guards left it (`req.user` from your auth guard). */
export type ReplayRequest = IncomingMessage & { user?: unknown };

/** What the gateway hands `authenticateSocket`: socket.io's connection handshake. */
export interface ReplaySocket {
  id: string;
  handshake: {
    headers: Record<string, string | string[] | undefined>;
    auth: Record<string, unknown>;
    query: Record<string, unknown>;
  };
}

/**
 * Options known when the app is assembled (they shape controllers and routes), given beside
 * `useFactory` in `forRootAsync`, or with the other options in `forRoot`.
 */
export interface ReplayBufferHttpOptions {
  /** Registers the module globally, so any module can inject `ReplayBufferManager`. */
  isGlobal?: boolean;
  /** Prefix of every replay route. Default `livekit/replay`. */
  routePrefix?: string;
  /** Path of LiveKit's webhook route (not under the prefix); `false` registers none. Default `livekit/webhook`. */
  webhookPath?: string | false;
  /** Guards applied to every replay route (typically your auth guard, which sets `req.user`). */
  guards?: Array<Type<CanActivate> | CanActivate>;
  /** Extra guards for the admin routes (community config, user quotas), after `guards`. */
  adminGuards?: Array<Type<CanActivate> | CanActivate>;
  /** The socket.io gateway (namespace `/livekit-replay`); `false` registers none. */
  gateway?: false | { cors?: unknown };
}

/** Options resolved at runtime (`forRoot` or the `forRootAsync` factory). */
export interface ReplayBufferModuleOptions {
  /** A manager you built, or the options to build one with (the module then owns and closes it). */
  manager: ReplayBufferManager | ReplayBufferManagerOptions;
  /**
   * The user a request acts for. Default: `req.user.id` (as your auth guard sets it). Returning
   * nothing answers 401 with the error body.
   */
  getUserId?: (req: ReplayRequest) => string | null | undefined | Promise<string | null | undefined>;
  /**
   * Whether the request may use the admin routes. Without it (and without `adminGuards`), the
   * admin routes answer 403 to everyone.
   */
  isAdmin?: (req: ReplayRequest) => boolean | Promise<boolean>;
  /**
   * The user a socket.io connection belongs to (read your token from `socket.handshake`);
   * nothing (or a throw) refuses the connection. Without it every connection is refused.
   */
  authenticateSocket?: (
    socket: ReplaySocket,
  ) => string | null | undefined | Promise<string | null | undefined>;
  /** Start the maintenance jobs (`manager.startScheduler()`) when the app boots. Default true. */
  startScheduler?: boolean;
  /**
   * When the clip storage can presign URLs (object storage), `GET clips/:id/file` and `/poster`
   * answer 302 to a short-lived URL instead of proxying the bytes. Default true.
   */
  redirectDownloads?: boolean;
}

export type ResolvedHttpOptions = Required<Pick<ReplayBufferHttpOptions, 'routePrefix'>> & {
  webhookPath: string | false;
  guards: Array<Type<CanActivate> | CanActivate>;
  adminGuards: Array<Type<CanActivate> | CanActivate>;
  gateway: false | { cors?: unknown };
};

export function resolveHttpOptions(options: ReplayBufferHttpOptions): ResolvedHttpOptions {
  return {
    routePrefix: trimSlashes(options.routePrefix ?? DEFAULT_ROUTE_PREFIX),
    webhookPath:
      options.webhookPath === false ? false : trimSlashes(options.webhookPath ?? DEFAULT_WEBHOOK_PATH),
    guards: options.guards ?? [],
    adminGuards: options.adminGuards ?? [],
    gateway: options.gateway ?? {},
  };
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
