/**
 * REPLAY_STORAGE=s3: segments and clips in a bucket, as on LiveKit Cloud. The bucket is the one
 * `REPLAY_S3_*` names, or — on a machine with none — a local S3 server (s3rver, the one the
 * tests use) in this process, its objects kept in `<data dir>/s3` across restarts.
 */
import path from 'node:path';
import { type S3ReplaySetup, s3ReplaySetup, s3ReplaySetupFromEnv } from '@livekit-replay/storage-s3';
import { startS3TestServer } from '@livekit-replay/testing';

const LOCAL_BUCKET = 'replay';

export interface AppS3 {
  setup: S3ReplaySetup;
  /** One line for the start-up log (never the credentials). */
  description: string;
  /** The local S3 server listens on loopback only: presigned URLs to it work on this machine. */
  loopbackOnly: boolean;
  /** After the manager closed. */
  close(): Promise<void>;
}

export async function startAppS3(dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<AppS3> {
  if (env.REPLAY_S3_BUCKET?.trim()) {
    const setup = s3ReplaySetupFromEnv(env);
    return {
      setup,
      description: `bucket ${setup.bucket} (${env.REPLAY_S3_ENDPOINT || 'AWS S3'}), segments under ${setup.segmentsKeyPrefix}`,
      loopbackOnly: false,
      close: async () => setup.close(),
    };
  }
  const server = await startS3TestServer({ buckets: [LOCAL_BUCKET], directory: path.join(dataDir, 's3') });
  try {
    const setup = s3ReplaySetup({
      bucket: LOCAL_BUCKET,
      region: server.region,
      endpoint: server.endpoint,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
      forcePathStyle: true,
    });
    return {
      setup,
      description: `local S3 server (s3rver) at ${server.endpoint}, bucket ${LOCAL_BUCKET}, objects in ${server.directory}`,
      loopbackOnly: true,
      close: async () => {
        setup.close();
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}
