import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ReplayBufferManagerOptions } from '@livekit-replay/core';
import { type INestApplication, Module, type ModuleMetadata } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response as ExpressResponse, NextFunction, Request } from 'express';

/** The header our test apps read the signed-in user from (standing in for an app's own auth). */
export const USER_HEADER = 'x-test-user';

/**
 * The app's own "auth": sets `req.user = { id }` from a header, as a Passport/JWT guard would,
 * so the module's default `getUserId` (`req.user.id`) is what the tests exercise.
 */
export function fakeAuth(req: Request & { user?: unknown }, _res: ExpressResponse, next: NextFunction): void {
  const id = req.headers[USER_HEADER];
  if (typeof id === 'string') req.user = { id };
  next();
}

/** A JSON answer in a test: its shape is what the assertions check. */
// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field by the tests' assertions
export type Json = any;

/** fetch's Response, whose `json()` the tests read as `Json`. */
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<Json> };

export interface TestApp {
  app: INestApplication;
  url: string;
  /** fetch against the app, as `user` (none: anonymous). */
  request(route: string, init?: RequestInit & { user?: string; json?: unknown }): Promise<TestResponse>;
  close(): Promise<void>;
}

/** A real Nest app (Express) on 127.0.0.1 with an ephemeral port, importing `imports`. */
export async function startApp(
  imports: ModuleMetadata['imports'],
  options: { rawBody?: boolean; bodyParser?: boolean; providers?: ModuleMetadata['providers'] } = {},
): Promise<TestApp> {
  @Module({ imports, providers: options.providers ?? [] })
  class AppModule {}
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    rawBody: options.rawBody ?? true,
    bodyParser: options.bodyParser ?? true,
    logger: false,
    abortOnError: false,
  });
  app.use(fakeAuth);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => {});
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  return {
    app,
    url,
    request(route, init = {}) {
      const { user, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (user) headers.set(USER_HEADER, user);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${url}/${route.replace(/^\//, '')}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    close: () => app.close(),
  };
}

/** Temp dirs for a manager that never reaches LiveKit (tests of the module itself). */
export async function offlineManagerOptions(): Promise<{
  options: ReplayBufferManagerOptions;
  cleanup: () => Promise<void>;
}> {
  const root = await mkdtemp(path.join(tmpdir(), 'lkr-nest-'));
  return {
    options: {
      config: {
        livekit: {
          url: 'http://127.0.0.1:9',
          apiKey: 'devkey',
          apiSecret: 'secret-secret-secret-secret-secret',
        },
        segmentsDir: path.join(root, 'segments'),
        clipsDir: path.join(root, 'clips'),
      },
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
