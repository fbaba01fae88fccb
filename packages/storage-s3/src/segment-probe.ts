import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import { type SegmentProbe, toSegmentProbe } from '@livekit-replay/core/adapter';
import type { SegmentTimingProbe } from './segment-merge.js';

/** A segment larger than this is not a segment (a 4K 10 s segment at 50 Mbit/s is ~63 MB). */
const MAX_SEGMENT_BYTES = 256 * 1024 * 1024;

/**
 * Probes segment objects in-process (core's MPEG-TS reader: frame and keyframe times, layout)
 * from one GET each — no helper process — cached by key: an uploaded segment never changes.
 * Only segments the playlists do not list yet are probed, so this is a few objects per call.
 */
export function objectProber(
  client: S3Client,
  bucket: string,
  options: { cacheSize?: number } = {},
): SegmentTimingProbe {
  const cache = new Map<string, SegmentProbe>();
  const limit = options.cacheSize ?? 4096;
  return async (key, signal) => {
    const hit = cache.get(key);
    if (hit) return hit;
    const object = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
      signal ? { abortSignal: signal } : {},
    );
    if ((object.ContentLength ?? 0) > MAX_SEGMENT_BYTES || !object.Body) {
      throw new ReplayBufferError(ReplayErrorCode.MEDIA_ERROR, 'A segment object is not of plausible size', {
        details: { key, sizeBytes: object.ContentLength ?? null },
      });
    }
    const probe = toSegmentProbe(await object.Body.transformToByteArray());
    if (cache.size >= limit) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(key, probe);
    return probe;
  };
}
