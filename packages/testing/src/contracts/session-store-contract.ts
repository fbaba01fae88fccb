import type { SessionStore } from '@livekit-replay/core';
import type { ReplaySession, SessionStatus } from '@livekit-replay/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteAll, newSessionInput, resolveRaw, sleep, trackCreates, uniqueId } from './helpers.js';
import { registerSessionCreateTests } from './session-store-create-contract.js';
import { LIVE, type SessionContractSuite } from './session-store-suite.js';
import { registerSessionTransitionTests } from './session-store-transition-contract.js';
import type { RawOf, SessionStoreContractOptions } from './types.js';

/**
 * Registers the SessionStore contract: every adapter (memory, Prisma, Redis) must pass it.
 * Each test creates its own users, communities and sessions with unique ids, so the suite can
 * run against a shared database without truncating it.
 */
export function runSessionStoreContract(options: SessionStoreContractOptions): void {
  describe(`${options.name}: SessionStore contract`, () => {
    let store: SessionStore;
    let unwrapped: SessionStore | undefined;
    const createdIds = new Set<string>();
    let raw: RawOf<typeof options>;

    beforeAll(async () => {
      unwrapped = await options.create();
      store = trackCreates(unwrapped, createdIds);
      raw = resolveRaw(options.raw, options.name);
    });

    afterAll(async () => {
      if (unwrapped) await deleteAll(createdIds, (id) => unwrapped!.delete(id));
      await options.cleanup?.();
    });

    /** Creates a session and moves it to `status` through the usual transitions. */
    async function sessionIn(
      status: SessionStatus,
      overrides: Parameters<typeof newSessionInput>[0] = {},
    ): Promise<ReplaySession> {
      const created = await store.create(newSessionInput(overrides));
      if (status === 'starting') return created;
      const active = await store.transition(created.id, ['starting'], 'active', { startedAt: new Date() });
      if (status === 'active') return active!;
      const ended = await store.transition(created.id, ['active'], status, {
        endedAt: new Date(),
        endReason: 'user',
      });
      return ended!;
    }

    const suite: SessionContractSuite = {
      get store() {
        return store;
      },
      get raw() {
        return raw;
      },
      sessionIn,
    };
    registerSessionCreateTests(suite);
    registerSessionTransitionTests(suite);

    describe('queries', () => {
      it('findLiveByUser returns the live session only', async () => {
        const userId = uniqueId('user');
        expect(await store.findLiveByUser(userId)).toBeNull();
        await sessionIn('stopped', { userId });
        expect(await store.findLiveByUser(userId)).toBeNull();
        const starting = await store.create(newSessionInput({ userId }));
        expect((await store.findLiveByUser(userId))?.id).toBe(starting.id);
        const active = await store.transition(starting.id, ['starting'], 'active');
        expect(await store.findLiveByUser(userId)).toEqual(active);
      });

      it('findByEgressId finds a session by its egress id, or null', async () => {
        const egressId = uniqueId('EG');
        const session = await store.create(newSessionInput());
        expect(await store.findByEgressId(egressId)).toBeNull();
        await store.transition(session.id, ['starting'], 'active', { egressId });
        expect((await store.findByEgressId(egressId))?.id).toBe(session.id);
        await store.transition(session.id, ['active'], 'stopped', { endedAt: new Date() });
        expect((await store.findByEgressId(egressId))?.status).toBe('stopped');
      });

      it('listByStatus returns sessions in any of the statuses, oldest first', async () => {
        const created: ReplaySession[] = [];
        for (let i = 0; i < 4; i++) {
          created.push(await store.create(newSessionInput()));
          await sleep(5); // distinct createdAt, so the order is unambiguous
        }
        const [first, second, third, fourth] = created as [
          ReplaySession,
          ReplaySession,
          ReplaySession,
          ReplaySession,
        ];
        await store.transition(second.id, ['starting'], 'active');
        await store.transition(fourth.id, ['starting'], 'failed', { endedAt: new Date() });
        const ours = new Set(created.map((s) => s.id));
        const ids = async (statuses: SessionStatus[]) =>
          (await store.listByStatus(statuses)).filter((s) => ours.has(s.id)).map((s) => s.id);
        expect(await ids(['starting'])).toEqual([first.id, third.id]);
        expect(await ids(['active'])).toEqual([second.id]);
        expect(await ids(LIVE)).toEqual([first.id, second.id, third.id]);
        expect(await ids(['failed', 'stopped'])).toEqual([fourth.id]);
        expect(await store.listByStatus([])).toEqual([]);
      });

      it('listEndedBefore returns terminal sessions ended before the instant, oldest end first', async () => {
        const at = (day: number) => new Date(Date.UTC(2001, 0, day, 12));
        const end = async (status: 'stopped' | 'failed', endedAt: Date) => {
          const session = await store.create(newSessionInput());
          return (await store.transition(session.id, ['starting'], status, { endedAt, endReason: 'test' }))!;
        };
        const stopped3 = await end('stopped', at(3));
        const failed2 = await end('failed', at(2));
        const boundary = await end('stopped', at(4));
        const later = await end('stopped', at(5));
        // A live session carrying an endedAt (odd, but possible through patch) is not terminal.
        const live = await store.create(newSessionInput());
        await store.patch(live.id, LIVE, { endedAt: at(1) });
        // A terminal session without endedAt has nothing to compare.
        const noEnd = await store.create(newSessionInput());
        await store.transition(noEnd.id, ['starting'], 'stopped');

        const ours = new Set([stopped3, failed2, boundary, later, live, noEnd].map((s) => s.id));
        const result = (await store.listEndedBefore(at(4))).filter((s) => ours.has(s.id));
        expect(result.map((s) => s.id)).toEqual([failed2.id, stopped3.id]);
        expect(result[0]).toEqual(failed2);
      });
    });

    describe('delete', () => {
      it('removes the record, answers false the second time, and frees the user', async () => {
        const session = await store.create(newSessionInput());
        expect(await store.delete(session.id)).toBe(true);
        expect(await store.get(session.id)).toBeNull();
        expect(await raw.getSession(session.id)).toBeNull();
        expect(await store.delete(session.id)).toBe(false);
        expect(await store.delete(uniqueId('rs'))).toBe(false);
        const again = await store.create(newSessionInput({ userId: session.userId }));
        expect(again.status).toBe('starting');
      });
    });
  });
}
