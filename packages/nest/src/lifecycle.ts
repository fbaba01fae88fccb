import type { ReplayBufferManager } from '@livekit-replay/core';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { assertRawBodiesAvailable } from './http/raw-body.js';
import type { ReplayBufferModuleOptions, ResolvedHttpOptions } from './options.js';
import { REPLAY_BUFFER_MANAGER, REPLAY_HTTP_OPTIONS, REPLAY_MODULE_OPTIONS } from './tokens.js';

/** Boot: checks that webhooks can be verified, starts the maintenance jobs. Shutdown: closes the manager. */
@Injectable()
export class ReplayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(REPLAY_BUFFER_MANAGER) private readonly manager: ReplayBufferManager,
    @Inject(REPLAY_MODULE_OPTIONS) private readonly options: ReplayBufferModuleOptions,
    @Inject(REPLAY_HTTP_OPTIONS) private readonly http: ResolvedHttpOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const adapter = this.adapterHost.httpAdapter;
    if (this.http.webhookPath !== false && adapter) {
      await assertRawBodiesAvailable(adapter.getType(), adapter.getInstance());
    }
    if (this.options.startScheduler !== false) await this.manager.startScheduler();
  }

  async onApplicationShutdown(): Promise<void> {
    // A manager the app built and handed in is the app's to close; one built here is ours.
    if (this.options.manager === this.manager) await this.manager.stopScheduler();
    else await this.manager.close();
  }
}
