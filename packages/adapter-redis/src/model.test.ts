// Model-based check: random sequences of store operations give the same answers on Redis as on
// core's in-memory store (the reference), and leave the Redis indexes consistent.
import type { SessionStore } from '@livekit-replay/core';
import {
  MemorySessionStore,
  type NewSession,
  type ReplaySession,
  type SessionPatch,
  type SessionStatus,
} from '@livekit-replay/core/adapter';
import { newSessionInput } from '@livekit-replay/testing/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedisAdapters } from './create-redis-adapters.js';
import { findInconsistencies } from './test-support/consistency.js';
import { REDIS_URL, useSharedRedis } from './test-support/redis-env.js';

const STATUSES: SessionStatus[] = ['starting', 'active', 'stopped', 'failed'];
const shared = useSharedRedis('model');
const { prefix } = shared;

type Op =
  | { kind: 'create'; user: number; community: number | null; limit: number | null }
  | { kind: 'transition'; session: number; from: SessionStatus[]; to: SessionStatus; patch: PatchSpec }
  | { kind: 'patch'; session: number; when: SessionStatus[]; patch: PatchSpec }
  | { kind: 'delete'; session: number }
  | { kind: 'tick'; ms: number };

interface PatchSpec {
  egress: boolean | null;
  endedAtOffset: number | null | undefined;
  missedSightings: number | undefined;
}

const statuses = fc.subarray(STATUSES, { minLength: 1 });
const patchSpec: fc.Arbitrary<PatchSpec> = fc.record({
  egress: fc.constantFrom(true, false, null),
  endedAtOffset: fc.constantFrom(undefined, null, -5_000, 0, 5_000),
  missedSightings: fc.constantFrom(undefined, 0, 1, 2),
});
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      user: fc.integer({ min: 0, max: 3 }),
      community: fc.constantFrom(null, 0, 1),
      limit: fc.constantFrom(null, 0, 1, 2),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('transition' as const),
      session: fc.nat(20),
      from: statuses,
      to: fc.constantFrom(...STATUSES),
      patch: patchSpec,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('patch' as const),
      session: fc.nat(20),
      when: statuses,
      patch: patchSpec,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), session: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3_000 }) }),
  },
);

/** What a call answered, in a form both stores can be compared on. */
function outcome(result: PromiseSettledResult<unknown>): unknown {
  if (result.status === 'rejected') {
    const error = result.reason as { code?: string; details?: unknown };
    return { error: error.code ?? String(result.reason), details: error.details };
  }
  return result.value;
}

describe('RedisSessionStore against the in-memory reference', () => {
  it('answers every random operation sequence exactly like MemorySessionStore', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 50 }), async (ops) => {
        run++;
        let now = Date.UTC(2026, 0, 1) + run * 10_000_000;
        const clock = () => new Date(now);
        const memory: SessionStore = new MemorySessionStore({ now: clock });
        const redisAdapters = createRedisAdapters({ url: REDIS_URL, keyPrefix: prefix, now: clock });
        shared.track(redisAdapters);
        const redis: SessionStore = redisAdapters.sessions;
        const users = [0, 1, 2, 3].map((u) => `model-${run}-user-${u}`);
        const communities = [0, 1].map((c) => `model-${run}-community-${c}`);
        const ids: string[] = [];
        let egressCounter = 0;
        const makePatch = (spec: PatchSpec): SessionPatch => {
          const patch: SessionPatch = {};
          if (spec.egress === true) patch.egressId = `EG_${run}_${egressCounter++}`;
          if (spec.egress === null) patch.egressId = null;
          if (spec.endedAtOffset !== undefined) {
            patch.endedAt = spec.endedAtOffset === null ? null : new Date(now + spec.endedAtOffset);
          }
          if (spec.missedSightings !== undefined) patch.missedSightings = spec.missedSightings;
          return patch;
        };
        for (const step of ops) {
          const both = async (call: (store: SessionStore) => Promise<unknown>) => {
            const [a, b] = await Promise.allSettled([call(memory), call(redis)]);
            expect(outcome(b), JSON.stringify(step)).toEqual(outcome(a!));
          };
          switch (step.kind) {
            case 'tick':
              now += step.ms;
              break;
            case 'create': {
              const input: NewSession = newSessionInput({
                id: `rs_model_${run}_${ids.length}`,
                userId: users[step.user]!,
                communityId: step.community === null ? null : communities[step.community]!,
              });
              ids.push(input.id);
              const options = step.limit === null ? {} : { communityLimit: step.limit };
              await both((store) => store.create(structuredClone(input), options));
              break;
            }
            case 'transition': {
              const id = ids[step.session % Math.max(1, ids.length)] ?? 'rs_missing';
              const patch = makePatch(step.patch);
              await both((store) => store.transition(id, step.from, step.to, structuredClone(patch)));
              break;
            }
            case 'patch': {
              const id = ids[step.session % Math.max(1, ids.length)] ?? 'rs_missing';
              const patch = makePatch(step.patch);
              await both((store) => store.patch(id, step.when, structuredClone(patch)));
              break;
            }
            case 'delete': {
              const id = ids[step.session % Math.max(1, ids.length)] ?? 'rs_missing';
              await both((store) => store.delete(id));
              break;
            }
          }
        }
        // The queries agree too (restricted to this run's sessions: Redis holds earlier runs).
        const mine = (sessions: ReplaySession[]) =>
          sessions.filter((s) => s.id.startsWith(`rs_model_${run}_`));
        for (const list of [['starting', 'active'], ['stopped', 'failed'], STATUSES] as SessionStatus[][]) {
          expect(mine(await redis.listByStatus(list))).toEqual(mine(await memory.listByStatus(list)));
        }
        const cut = new Date(now);
        expect(mine(await redis.listEndedBefore(cut))).toEqual(mine(await memory.listEndedBefore(cut)));
        for (const user of users) {
          expect(await redis.findLiveByUser(user)).toEqual(await memory.findLiveByUser(user));
        }
        for (let e = 0; e < egressCounter; e++) {
          const egressId = `EG_${run}_${e}`;
          expect((await redis.findByEgressId(egressId))?.id).toEqual(
            (await memory.findByEgressId(egressId))?.id,
          );
        }
        await redisAdapters.close();
      }),
      { numRuns: 60 },
    );
    expect(await findInconsistencies(shared.admin, prefix)).toEqual([]);
  }, 120_000);
});
