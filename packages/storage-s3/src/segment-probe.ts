import { execFile } from 'node:child_process';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { parsePacketList, resolveFfprobePath, type SegmentProbe } from '@livekit-replay/core';
import type { SegmentTimingProbe } from './segment-merge.js';

/**
 * Probes segment objects with ffprobe over a short-lived presigned URL (ffprobe reads only what
 * it needs), cached by key: an uploaded segment never changes.
 */
export function presignedProber(
  client: S3Client,
  bucket: string,
  options: { ffprobePath?: string; cacheSize?: number } = {},
): SegmentTimingProbe {
  const cache = new Map<string, SegmentProbe>();
  const limit = options.cacheSize ?? 4096;
  return async (key, signal) => {
    const hit = cache.get(key);
    if (hit) return hit;
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 300,
    });
    const csv = await new Promise<string>((resolve, reject) => {
      execFile(
        resolveFfprobePath(options.ffprobePath),
        [
          '-v',
          'error',
          '-select_streams',
          'v:0',
          '-show_entries',
          'packet=pts_time,duration_time,flags',
          '-of',
          'csv=p=0',
          url,
        ],
        { signal, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      );
    });
    const probe = parsePacketList(csv);
    if (cache.size >= limit) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, probe);
    return probe;
  };
}
