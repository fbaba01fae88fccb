/**
 * The reference app: `bash scripts/start.sh` from the repository root (it installs, builds the
 * frontend and runs this). Prints the URL; Ctrl-C stops every buffer and everything it started.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReplayBufferManager } from '@livekit-replay/core';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { readEnvironment } from './environment.js';
import { DEMO_CHANNEL, MessageFeed } from './messages.js';
import { setUpReplay } from './replay-setup.js';

const log = (line: string) => console.log(line);
const isLoopback = (host: string) => host === 'localhost' || host === '::1' || host.startsWith('127.');

async function main(): Promise<void> {
  const env = readEnvironment();
  const feed = await MessageFeed.open(env.dataDir);
  const replay = await setUpReplay(env, feed, log);
  const manager = new ReplayBufferManager(replay.managerOptions);
  manager.on('error', (error) => log(`[replay] ${error.message}`));

  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.create({
      env,
      manager,
      feed,
      emulator: replay.emulator,
      // Clip downloads redirect to presigned URLs, unless the bucket (the local S3 server on
      // loopback) is out of reach of browsers on other machines: then the app proxies them.
      redirectDownloads: !(replay.s3?.loopbackOnly && !isLoopback(env.host)),
    }),
    { rawBody: true, logger: ['error', 'warn'] },
  );
  // biome-ignore lint/correctness/useHookAtTopLevel: Nest's method, not a React hook
  if (existsSync(env.webDist)) app.useStaticAssets(env.webDist);
  else log(`[app] no built frontend at ${env.webDist}: run the build first (bash scripts/start.sh does)`);
  await app.listen(env.port, env.host);
  // The bound port (PORT=0 picks a free one, as the tests do).
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://${env.host}:${port}`;
  // LiveKit's webhooks (the emulator's, in emulated mode) come back to this app.
  replay.emulator?.setWebhookUrl(`${url}/livekit/webhook`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`[app] ${signal}: stopping`);
    try {
      // Stop every buffer first (its egress too), so nothing keeps recording after the app
      // and every open page hears its buffer stopped. (An app with several instances behind a
      // load balancer would leave live buffers alone when one instance restarts.)
      const room = await manager.getRoomStatus({ roomName: DEMO_CHANNEL.roomName });
      for (const live of room.buffering) {
        await manager
          .stopReplayBuffer({ userId: live.userId, sessionId: live.sessionId })
          .catch((error: Error) => log(`[app] could not stop ${live.sessionId}: ${error.message}`));
      }
      // A download still open (a paused <video> holds its range request) would keep close()
      // waiting for ever: give requests a few seconds, then close every connection.
      const server = app.getHttpServer() as Server;
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      await app.close();
      clearTimeout(force);
      await manager.close();
      await replay.close(); // the emulator ends its ffmpeg processes here
      log('[app] stopped');
      process.exit(0);
    } catch (error) {
      console.error('[app] shutdown failed:', error);
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  log(`livekit-replay reference app: ${url}`);
  log(
    replay.emulator
      ? '[app] LiveKit: the egress emulator, in this process (set LIVEKIT_URL for a real server)'
      : `[app] LiveKit: ${env.livekit?.url}`,
  );
  log(
    replay.s3
      ? `[app] storage: ${replay.s3.description}`
      : `[app] storage: local directories under ${env.dataDir} (REPLAY_STORAGE=s3 for a bucket)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
