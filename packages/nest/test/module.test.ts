import { ReplayBufferManager } from '@livekit-replay/core';
import { Inject, Injectable, Module } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { REPLAY_BUFFER_MANAGER, ReplayBufferModule } from '../src/index.js';
import { offlineManagerOptions, startApp, type TestApp } from './support/app.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function managerOptions() {
  const { options, cleanup } = await offlineManagerOptions();
  cleanups.push(cleanup);
  return options;
}

async function started(imports: Parameters<typeof startApp>[0], extra?: Parameters<typeof startApp>[1]) {
  const app = await startApp(imports, extra);
  cleanups.push(() => app.close());
  return app;
}

/** A provider in another module that needs the manager without importing ReplayBufferModule. */
@Injectable()
class NeedsManager {
  constructor(@Inject(ReplayBufferManager) readonly manager: ReplayBufferManager) {}
}
@Module({ providers: [NeedsManager], exports: [NeedsManager] })
class FeatureModule {}

describe('ReplayBufferModule registration', () => {
  it('forRoot: the manager is injectable by class and by token, and routes answer under the default prefix', async () => {
    const manager = await managerOptions();
    const app: TestApp = await started([ReplayBufferModule.forRoot({ manager, startScheduler: false })]);
    const byClass = app.app.get(ReplayBufferManager);
    expect(byClass).toBeInstanceOf(ReplayBufferManager);
    expect(app.app.get(REPLAY_BUFFER_MANAGER)).toBe(byClass);
    const res = await app.request('livekit/replay/quota');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED', userMessage: expect.any(String) });
  });

  it('forRootAsync with isGlobal: another module injects the manager without importing the module', async () => {
    const manager = await managerOptions();
    const app = await started([
      ReplayBufferModule.forRootAsync({
        isGlobal: true,
        useFactory: async () => ({ manager, startScheduler: false }),
      }),
      FeatureModule,
    ]);
    expect(app.app.get(NeedsManager).manager).toBe(app.app.get(ReplayBufferManager));
  });

  it('forRootAsync without isGlobal: the same app fails to resolve the manager outside the module', async () => {
    const manager = await managerOptions();
    await expect(
      startApp([
        ReplayBufferModule.forRootAsync({ useFactory: () => ({ manager, startScheduler: false }) }),
        FeatureModule,
      ]),
    ).rejects.toThrow(/ReplayBufferManager/);
  });

  it('forRootAsync: inject + imports reach the factory, and routePrefix / webhookPath move the routes', async () => {
    const manager = await managerOptions();
    const CONFIG = Symbol('config');
    @Module({ providers: [{ provide: CONFIG, useValue: { manager } }], exports: [CONFIG] })
    class ConfigModule {}
    const app = await started([
      ReplayBufferModule.forRootAsync({
        imports: [ConfigModule],
        inject: [CONFIG],
        useFactory: (config: { manager: typeof manager }) => ({ ...config, startScheduler: false }),
        routePrefix: '/api/replay/',
        webhookPath: 'hooks/livekit',
      }),
    ]);
    expect((await app.request('api/replay/quota')).status).toBe(401);
    expect((await app.request('livekit/replay/quota')).status).toBe(404);
    const hook = await app.request('hooks/livekit', { method: 'POST', body: '{}' });
    expect(hook.status).toBe(401);
    expect(await hook.json()).toMatchObject({ code: 'WEBHOOK_INVALID' });
  });

  it('starts the maintenance jobs at boot (by default) and closes the manager it built at shutdown', async () => {
    const manager = await managerOptions();
    const app = await startApp([ReplayBufferModule.forRoot({ manager })]);
    const built = app.app.get(ReplayBufferManager);
    expect(await built.runScheduledJob({ job: 'segments' })).not.toBe('stopped');
    await app.close();
    expect(await built.runScheduledJob({ job: 'segments' })).toBe('stopped');
  });

  it('a manager handed in is left to the app: shutdown only stops the jobs', async () => {
    const own = new ReplayBufferManager(await managerOptions());
    const app = await startApp([ReplayBufferModule.forRoot({ manager: own })]);
    expect(app.app.get(ReplayBufferManager)).toBe(own);
    expect(await own.runScheduledJob({ job: 'segments' })).not.toBe('stopped');
    await app.close();
    expect(await own.runScheduledJob({ job: 'segments' })).toBe('stopped');
    await own.close();
  });

  it('boot fails with a how-to-fix message when the app parses JSON bodies without keeping raw bytes', async () => {
    const manager = await managerOptions();
    await expect(
      startApp([ReplayBufferModule.forRoot({ manager, startScheduler: false })], { rawBody: false }),
    ).rejects.toThrow(/rawBody: true/);
  });

  it('boots with bodyParser: false (the stream is read as it is)', async () => {
    const manager = await managerOptions();
    const app = await started([ReplayBufferModule.forRoot({ manager, startScheduler: false })], {
      rawBody: false,
      bodyParser: false,
    });
    expect((await app.request('livekit/replay/quota')).status).toBe(401);
  });
});
