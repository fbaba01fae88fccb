// The real backend of the browser tests: the Nest package's own e2e environment (a Nest app
// with ReplayBufferModule, the egress emulator, ffmpeg). Loaded by path so this package's
// typecheck does not compile the Nest package's test code under its own settings.
import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';

export interface Backend {
  app: {
    url: string;
    request(
      route: string,
      init?: RequestInit & { user?: string; json?: unknown },
    ): Promise<globalThis.Response>;
  };
  emulator: {
    waitForSegments(egressId: string, count: number, options?: { timeoutMs?: number }): Promise<unknown>;
  };
  close(): Promise<void>;
}

interface NestEnvModule {
  TEST_FPS: number;
  uniqueUser(name: string): string;
  startReplayEnv(options: {
    historySeconds?: number;
    manager?: Record<string, unknown>;
    module?: {
      getUserId?: (req: IncomingMessage) => string | undefined;
      authenticateSocket?: (socket: { handshake: { auth: Record<string, unknown> } }) => string | null;
    };
  }): Promise<Backend>;
}

const supportPath = fileURLToPath(new URL('../../../nest/test/support/replay-env.ts', import.meta.url));

export async function loadNestEnv(): Promise<NestEnvModule> {
  return (await import(/* @vite-ignore */ supportPath)) as NestEnvModule;
}
