/**
 * Reads the raw key layout (around the adapter) and lists every place where the indexes and
 * the session hashes disagree. An empty list means: live pointers, community sets, status sets,
 * the ended set and the egress index all describe exactly the stored sessions.
 */
import type { Redis } from 'ioredis';
import { keyPart } from '../keys.js';
import { keysUnder } from './redis-env.js';

const LIVE = new Set(['starting', 'active']);
const TERMINAL = new Set(['stopped', 'failed']);
const STATUSES = ['starting', 'active', 'stopped', 'failed'];

export async function findInconsistencies(client: Redis, prefix: string): Promise<string[]> {
  const problems: string[] = [];
  const keys = await keysUnder(client, prefix);
  const sessions = new Map<string, Record<string, string>>();
  for (const key of keys.filter((k) => k.startsWith(`${prefix}session:`))) {
    sessions.set(key.slice(`${prefix}session:`.length), await client.hgetall(key));
  }
  const statusSets = new Map<string, Map<string, number>>();
  for (const status of STATUSES) {
    const members = await client.zrange(`${prefix}status:${status}`, '0', '-1', 'WITHSCORES');
    const map = new Map<string, number>();
    for (let i = 0; i < members.length; i += 2) map.set(members[i]!, Number(members[i + 1]));
    statusSets.set(status, map);
  }
  const endedRaw = await client.zrange(`${prefix}ended`, '0', '-1', 'WITHSCORES');
  const ended = new Map<string, number>();
  for (let i = 0; i < endedRaw.length; i += 2) ended.set(endedRaw[i]!, Number(endedRaw[i + 1]));

  for (const [id, s] of sessions) {
    const status = s.status ?? '?';
    for (const [setStatus, members] of statusSets) {
      if ((setStatus === status) !== members.has(id)) {
        problems.push(`${id}: status ${status} but status:${setStatus} membership is ${members.has(id)}`);
      }
    }
    if (statusSets.get(status)?.get(id) !== Number(s.createdAt)) {
      problems.push(`${id}: status set score differs from createdAt`);
    }
    const pointer = await client.get(`${prefix}user-live:${keyPart(s.userId ?? '')}`);
    if (LIVE.has(status) && pointer !== id) problems.push(`${id}: live but user pointer is ${pointer}`);
    if (!LIVE.has(status) && pointer === id) problems.push(`${id}: ${status} but user pointer names it`);
    if (s.communityId !== undefined) {
      const member = await client.sismember(`${prefix}community-live:${keyPart(s.communityId)}`, id);
      if (LIVE.has(status) !== (member === 1)) {
        problems.push(`${id}: ${status} but community set membership is ${member}`);
      }
    }
    if (s.egressId !== undefined) {
      const owner = await client.get(`${prefix}egress:${keyPart(s.egressId)}`);
      if (owner !== id) problems.push(`${id}: egress index for ${s.egressId} names ${owner}`);
    }
    const shouldBeEnded = TERMINAL.has(status) && s.endedAt !== undefined;
    if (shouldBeEnded !== ended.has(id)) problems.push(`${id}: ended-set membership is ${ended.has(id)}`);
    if (shouldBeEnded && ended.get(id) !== Number(s.endedAt)) problems.push(`${id}: ended score differs`);
  }

  // Reverse direction: no index entry may point at a live session that is not there.
  for (const key of keys.filter((k) => k.startsWith(`${prefix}user-live:`))) {
    const id = (await client.get(key)) ?? '';
    const s = sessions.get(id);
    if (s && LIVE.has(s.status ?? '') && key !== `${prefix}user-live:${keyPart(s.userId ?? '')}`) {
      problems.push(`${key}: points at ${id} of another user`);
    }
  }
  for (const key of keys.filter((k) => k.startsWith(`${prefix}community-live:`))) {
    for (const id of await client.smembers(key)) {
      const s = sessions.get(id);
      if (!s || !LIVE.has(s.status ?? '')) problems.push(`${key}: holds ${id}, which is not live`);
    }
  }
  for (const status of ['starting', 'active']) {
    for (const id of statusSets.get(status)!.keys()) {
      if (!sessions.has(id)) problems.push(`status:${status} holds ${id}, which does not exist`);
    }
  }
  // Live sessions per user: at most one.
  const liveByUser = new Map<string, number>();
  for (const s of sessions.values()) {
    if (LIVE.has(s.status ?? '')) liveByUser.set(s.userId!, (liveByUser.get(s.userId!) ?? 0) + 1);
  }
  for (const [user, count] of liveByUser)
    if (count > 1) problems.push(`user ${user} has ${count} live sessions`);
  return problems;
}
