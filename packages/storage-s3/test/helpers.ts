import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3TestServer } from '@livekit-replay/testing';
import { createS3Client, type S3Config } from '../src/index.js';

/** Config for the test server, with the checksum mode under test. */
export function testConfig(
  server: S3TestServer,
  bucket: string,
  checksums?: S3Config['checksums'],
): S3Config {
  return {
    bucket,
    region: server.region,
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    forcePathStyle: true,
    checksums,
  };
}

/** A client plus a per-command call counter (counted before the request is sent). */
export function countingClient(config: S3Config): { client: S3Client; calls: Map<string, number> } {
  const client = createS3Client(config);
  const calls = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = (context as { commandName?: string }).commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'testCallCounter' },
  );
  return { client, calls };
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
}
