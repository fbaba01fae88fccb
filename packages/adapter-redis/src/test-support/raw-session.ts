import type { RawSessionRow, SessionStoreRawReader } from '@livekit-replay/testing/contracts';
import type { Cluster, Redis } from 'ioredis';

/**
 * The session contract's raw reader: plain HGETALL around the adapter, so the suite checks what
 * actually reached Redis (a single server or a cluster).
 */
export function rawSessionReader(client: Redis | Cluster, prefix: string): SessionStoreRawReader {
  return {
    async getSession(id: string): Promise<RawSessionRow | null> {
      const hash = await client.hgetall(`${prefix}session:${id}`);
      if (Object.keys(hash).length === 0) return null;
      const date = (value: string | undefined) => (value === undefined ? null : new Date(Number(value)));
      return {
        id: hash.id!,
        userId: hash.userId!,
        status: hash.status!,
        egressId: hash.egressId ?? null,
        communityId: hash.communityId ?? null,
        startedAt: date(hash.startedAt),
        endedAt: date(hash.endedAt),
        endReason: hash.endReason ?? null,
        error: hash.error ?? null,
        missedSightings: Number(hash.missedSightings),
      };
    },
  };
}
