/**
 * What the reference app reads from its environment. Every default is embedded, so a fresh
 * machine runs the whole feature: SQLite, local directories, the in-process notifier and — with
 * no LIVEKIT_URL — the LiveKit egress emulator started in this process.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface AppEnvironment {
  port: number;
  host: string;
  /** Where SQLite, segments, clips and the message feed live. */
  dataDir: string;
  /** `file:…` (SQLite, default) or `postgresql://…`. */
  databaseUrl: string;
  /** Several instances: sessions, notifications, job lock and rate limit in Redis. */
  redisUrl: string | null;
  /** A real LiveKit server; null runs the egress emulator in-process. */
  livekit: { url: string; apiKey: string; apiSecret: string } | null;
  /**
   * Buffers start and stop from LiveKit's room webhooks (always with the emulator). With a real
   * LiveKit the browser starts them by default; REPLAY_SERVER_AUTO_START=1 switches to the
   * webhooks (LiveKit must then send its webhooks to /livekit/webhook).
   */
  serverAutoStart: boolean;
  /**
   * Where segments and clips live: `local` directories in the data dir, or `s3`: the egress
   * uploads segments to a bucket (the emulator then refuses local outputs, like LiveKit Cloud)
   * and clips go to the same bucket. The bucket is `REPLAY_S3_*` when `REPLAY_S3_BUCKET` is set,
   * else a local S3 server (s3rver) started in this process with its objects in `<data dir>/s3`.
   */
  storage: 'local' | 's3';
  /** Built frontend served by the backend. */
  webDist: string;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): AppEnvironment {
  const dataDir = path.resolve(env.REPLAY_APP_DATA_DIR ?? path.join(appRoot, 'data'));
  const livekitUrl = env.LIVEKIT_URL?.trim();
  const storage = env.REPLAY_STORAGE?.trim().toLowerCase() || 'local';
  if (storage !== 'local' && storage !== 's3') {
    throw new Error(`REPLAY_STORAGE must be local or s3, got "${env.REPLAY_STORAGE}".`);
  }
  if (livekitUrl && (!env.LIVEKIT_API_KEY || !env.LIVEKIT_API_SECRET)) {
    throw new Error('LIVEKIT_URL is set: set LIVEKIT_API_KEY and LIVEKIT_API_SECRET too.');
  }
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    databaseUrl: env.DATABASE_URL ?? `file:${path.join(dataDir, 'replay.db')}`,
    redisUrl: env.REDIS_URL?.trim() || null,
    livekit: livekitUrl
      ? {
          url: livekitUrl,
          apiKey: env.LIVEKIT_API_KEY as string,
          apiSecret: env.LIVEKIT_API_SECRET as string,
        }
      : null,
    serverAutoStart: !livekitUrl || ['1', 'true', 'yes'].includes(env.REPLAY_SERVER_AUTO_START ?? ''),
    storage,
    webDist: path.join(appRoot, 'web', 'dist'),
  };
}
