import type { ReplayBufferManager } from '@livekit-replay/core';
import { ReplayBufferModule } from '@livekit-replay/nest';
import type { EgressEmulator } from '@livekit-replay/testing';
import { type DynamicModule, Module } from '@nestjs/common';
import { DemoAuthController, DemoAuthGuard, demoUserFromCookie } from './demo-auth.js';
import type { AppEnvironment } from './environment.js';
import { MESSAGE_FEED, type MessageFeed, MessagesController } from './messages.js';
import { APP_ENVIRONMENT, EMULATOR, ScreenShareController } from './screen-share.js';

@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with a static factory
export class AppModule {
  static create(deps: {
    env: AppEnvironment;
    manager: ReplayBufferManager;
    feed: MessageFeed;
    emulator: EgressEmulator | null;
    redirectDownloads: boolean;
  }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ReplayBufferModule.forRoot({
          manager: deps.manager,
          // The app's own auth guard sets req.user; the replay routes read req.user.id.
          guards: [DemoAuthGuard],
          authenticateSocket: (socket) => demoUserFromCookie(socket.handshake.headers.cookie)?.id,
          // Demo only: every signed-in user may use the admin routes.
          isAdmin: (req) => demoUserFromCookie(req.headers.cookie) !== null,
          redirectDownloads: deps.redirectDownloads,
        }),
      ],
      controllers: [DemoAuthController, MessagesController, ScreenShareController],
      providers: [
        DemoAuthGuard,
        { provide: MESSAGE_FEED, useValue: deps.feed },
        { provide: APP_ENVIRONMENT, useValue: deps.env },
        { provide: EMULATOR, useValue: deps.emulator },
      ],
    };
  }
}
