import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ReplayBufferHttpOptions, ReplayBufferModuleOptions } from './options.js';
import { REPLAY_MODULE_OPTIONS } from './tokens.js';

/**
 * `forRoot(options)` / `forRootAsync({ imports, inject, useFactory, … })`. The HTTP options
 * (prefix, webhook path, guards, gateway, isGlobal) are "extras": they shape the controllers,
 * so they are given beside `useFactory`, known when the app is assembled.
 */
export const {
  ConfigurableModuleClass: ReplayBufferConfigurableModule,
  OPTIONS_TYPE: REPLAY_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: REPLAY_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ReplayBufferModuleOptions>({ optionsInjectionToken: REPLAY_MODULE_OPTIONS })
  .setClassMethodName('forRoot')
  .setExtras<ReplayBufferHttpOptions>({ isGlobal: false }, (definition) => definition)
  .build();
