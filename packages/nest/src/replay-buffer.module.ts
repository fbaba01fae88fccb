import { ReplayBufferManager } from '@livekit-replay/core';
import { SOCKET_NAMESPACE } from '@livekit-replay/core/contract';
import {
  Controller,
  type DynamicModule,
  Module,
  type Provider,
  type Type,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import { ReplayGateway } from './gateway/replay.gateway.js';
import { AdminController } from './http/admin.controller.js';
import { ClipsController } from './http/clips.controller.js';
import { ReplayController } from './http/replay.controller.js';
import { ReplayExceptionFilter } from './http/replay-exception.filter.js';
import { ReplayUserGuard } from './http/replay-user.guard.js';
import { ReplayRequestUsers } from './http/request-user.js';
import { WebhookController } from './http/webhook.controller.js';
import { ReplayLifecycle } from './lifecycle.js';
import { type ReplayBufferModuleOptions, type ResolvedHttpOptions, resolveHttpOptions } from './options.js';
import {
  type REPLAY_ASYNC_OPTIONS_TYPE,
  type REPLAY_OPTIONS_TYPE,
  ReplayBufferConfigurableModule,
} from './replay-buffer.module-definition.js';
import { REPLAY_BUFFER_MANAGER, REPLAY_HTTP_OPTIONS, REPLAY_MODULE_OPTIONS } from './tokens.js';

/** Class decorators are applied to fresh subclasses, so two registrations never share routes or guards. */
type AnyClass = abstract new (...args: never[]) => object;
function subclass<T extends AnyClass>(base: T, name: string, decorators: ClassDecorator[]): T {
  const derived = { [name]: class extends (base as unknown as new (...args: never[]) => object) {} }[name]!;
  for (const decorate of decorators) decorate(derived);
  return derived as unknown as T;
}

function httpParts(http: ResolvedHttpOptions): { controllers: Type[]; providers: Provider[] } {
  const filters = UseFilters(ReplayExceptionFilter);
  // The app's guards first (they set req.user), then ours: 401 before any body is validated.
  const guards = [UseGuards(...http.guards, ReplayUserGuard)];
  const adminGuards = [...http.guards, ReplayUserGuard, ...http.adminGuards];
  const controllers: Type[] = [
    subclass(ReplayController, 'ReplayController', [Controller(http.routePrefix), filters, ...guards]),
    subclass(ClipsController, 'ReplayClipsController', [Controller(http.routePrefix), filters, ...guards]),
    subclass(AdminController, 'ReplayAdminController', [
      Controller(http.routePrefix),
      filters,
      UseGuards(...adminGuards),
    ]),
  ];
  // LiveKit signs its webhooks; the app's auth guards do not apply to them.
  if (http.webhookPath !== false) {
    controllers.push(
      subclass(WebhookController, 'ReplayWebhookController', [Controller(http.webhookPath), filters]),
    );
  }
  const providers: Provider[] = [];
  if (http.gateway !== false) {
    const options = {
      namespace: SOCKET_NAMESPACE,
      ...(http.gateway.cors ? { cors: http.gateway.cors } : {}),
    };
    providers.push(subclass(ReplayGateway, 'ReplayGateway', [WebSocketGateway(options as object)]));
  }
  return { controllers, providers };
}

/** A manager handed in (duck-typed: the app may hold another copy of core) or built from options. */
function createManager(options: ReplayBufferModuleOptions): ReplayBufferManager {
  const given = options.manager as Partial<ReplayBufferManager>;
  return typeof given.startReplayBuffer === 'function'
    ? (given as ReplayBufferManager)
    : new ReplayBufferManager(options.manager as ConstructorParameters<typeof ReplayBufferManager>[0]);
}

/**
 * Instant replay in a Nest app: the manager (injectable as `ReplayBufferManager` or
 * `REPLAY_BUFFER_MANAGER`), every route of the contract under `routePrefix`, LiveKit's webhook,
 * the socket.io gateway, the maintenance jobs at boot and a clean shutdown.
 */
@Module({})
export class ReplayBufferModule extends ReplayBufferConfigurableModule {
  static override forRoot(options: typeof REPLAY_OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: super's forRoot must see this class as `module`
    return ReplayBufferModule.extend(super.forRoot(options), options);
  }

  static override forRootAsync(options: typeof REPLAY_ASYNC_OPTIONS_TYPE): DynamicModule {
    // biome-ignore lint/complexity/noThisInStatic: super's forRootAsync must see this class as `module`
    return ReplayBufferModule.extend(super.forRootAsync(options), options);
  }

  private static extend(definition: DynamicModule, extras: typeof REPLAY_ASYNC_OPTIONS_TYPE): DynamicModule {
    const http = resolveHttpOptions(extras);
    const parts = httpParts(http);
    return {
      ...definition,
      // Some Nest versions dropped extras in async registration: set `global` ourselves.
      global: extras.isGlobal === true,
      controllers: [...(definition.controllers ?? []), ...parts.controllers],
      providers: [
        ...(definition.providers ?? []),
        ...parts.providers,
        { provide: REPLAY_HTTP_OPTIONS, useValue: http },
        { provide: REPLAY_BUFFER_MANAGER, useFactory: createManager, inject: [REPLAY_MODULE_OPTIONS] },
        { provide: ReplayBufferManager, useExisting: REPLAY_BUFFER_MANAGER },
        ReplayRequestUsers,
        ReplayUserGuard,
        ReplayExceptionFilter,
        ReplayLifecycle,
      ],
      exports: [
        ...(definition.exports ?? []),
        REPLAY_BUFFER_MANAGER,
        ReplayBufferManager,
        REPLAY_MODULE_OPTIONS,
      ],
    };
  }
}
