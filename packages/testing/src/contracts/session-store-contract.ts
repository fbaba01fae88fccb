import type { SessionStore } from '@livekit-replay/core';
import type { NewSession, ReplaySession, SessionStatus } from '@livekit-replay/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteAll,
  expectReplayError,
  newSessionInput,
  resolveRaw,
  sleep,
  tally,
  trackCreates,
  uniqueId,
} from './helpers.js';
import type { RawOf, SessionStoreContractOptions } from './types.js';

const LIVE: SessionStatus[] = ['starting', 'active'];

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
    let raw: RawOf<typeof options> | undefined;

    beforeAll(async () => {
      unwrapped = await options.create();
      store = trackCreates(unwrapped, createdIds);
      raw = resolveRaw(options.raw);
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

    describe('create', () => {
      it('returns a full starting session with every field stored', async () => {
        const input = newSessionInput({
          audioTrackId: 'TR_AMic1',
          communityId: uniqueId('community'),
          channelId: 'channel-7',
          quality: 'source',
          segmentNaming: 'TIMESTAMP',
          segmentDurationSeconds: 4,
        });
        const before = Date.now();
        const created = await store.create(input);
        const { status: _status, ...fields } = input;
        expect(created).toMatchObject({
          ...fields,
          status: 'starting',
          startedAt: null,
          endedAt: null,
          endReason: null,
          error: null,
          missedSightings: 0,
        });
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(created.updatedAt).toBeInstanceOf(Date);
        // Loose bounds: the clock may be the database's, not this process's.
        expect(Math.abs(created.createdAt.getTime() - before)).toBeLessThan(60_000);
        expect(created.updatedAt.getTime()).toBeGreaterThanOrEqual(created.createdAt.getTime());
        expect(await store.get(created.id)).toEqual(created);
        if (raw) {
          expect(await raw.getSession(created.id)).toMatchObject({
            id: created.id,
            userId: input.userId,
            status: 'starting',
            egressId: null,
            communityId: input.communityId,
            missedSightings: 0,
          });
        }
      });

      it('keeps an egress id given at creation and accepts integrator-style user ids', async () => {
        const egressId = uniqueId('EG');
        const userId = `auth0|${uniqueId('u')}@example.com`;
        const created = await store.create(newSessionInput({ egressId, userId }));
        expect(created.egressId).toBe(egressId);
        expect(created.userId).toBe(userId);
        expect((await store.findByEgressId(egressId))?.id).toBe(created.id);
      });

      it('hands out copies: mutating a result or the input does not change the store', async () => {
        const input = newSessionInput();
        const created = await store.create(input);
        const snapshot = structuredClone(created);
        created.status = 'failed';
        created.roomName = 'mutated';
        created.createdAt.setTime(0);
        input.roomName = 'mutated-input';
        expect(await store.get(created.id)).toEqual(snapshot);

        const fetched = (await store.get(created.id))!;
        fetched.userId = 'someone-else';
        expect(await store.get(created.id)).toEqual(snapshot);

        const startedAt = new Date();
        const active = (await store.transition(created.id, ['starting'], 'active', { startedAt }))!;
        const activeSnapshot = structuredClone(active);
        startedAt.setTime(0);
        active.startedAt!.setTime(1);
        active.status = 'stopped';
        expect(await store.get(created.id)).toEqual(activeSnapshot);
      });

      it('refuses a second live session for the same user with ALREADY_ACTIVE naming the live one', async () => {
        const userId = uniqueId('user');
        const first = await store.create(newSessionInput({ userId }));
        const second = newSessionInput({ userId });
        const error = await expectReplayError(() => store.create(second), 'ALREADY_ACTIVE');
        expect(error.details?.sessionId).toBe(first.id);
        expect(await store.get(second.id)).toBeNull();
        if (raw) expect(await raw.getSession(second.id)).toBeNull();

        // `active` counts as live too.
        await store.transition(first.id, ['starting'], 'active');
        const third = newSessionInput({ userId });
        const again = await expectReplayError(() => store.create(third), 'ALREADY_ACTIVE');
        expect(again.details?.sessionId).toBe(first.id);
      });

      it('lets a user start again once the previous session is stopped or failed', async () => {
        const userId = uniqueId('user');
        const stopped = await sessionIn('stopped', { userId });
        expect(stopped.status).toBe('stopped');
        const next = await store.create(newSessionInput({ userId }));
        expect(next.status).toBe('starting');
        await store.transition(next.id, ['starting'], 'failed', { endedAt: new Date(), error: 'boom' });
        const third = await store.create(newSessionInput({ userId }));
        expect((await store.findLiveByUser(userId))?.id).toBe(third.id);
      });

      it('refuses an id that already exists with INVALID_INPUT and keeps the original', async () => {
        const original = await sessionIn('stopped');
        const duplicate = newSessionInput({ id: original.id });
        await expectReplayError(() => store.create(duplicate), 'INVALID_INPUT');
        expect(await store.get(original.id)).toEqual(original);
        if (raw) expect((await raw.getSession(original.id))?.userId).toBe(original.userId);
      });

      it('refuses malformed session fields with INVALID_INPUT and stores nothing', async () => {
        const bad: Array<Partial<NewSession>> = [
          { segmentDurationSeconds: 0 },
          { segmentDurationSeconds: 2.5 },
          { segmentDurationSeconds: Number.NaN },
          { roomName: '' },
          { videoTrackId: '' },
          { quality: 'potato' as NewSession['quality'] },
          { segmentNaming: 'RANDOM' as NewSession['segmentNaming'] },
          { segmentDir: '../escape' },
          { communityId: '' },
        ];
        for (const fields of bad) {
          const input = newSessionInput(fields);
          await expectReplayError(() => store.create(input), 'INVALID_INPUT');
          expect(await store.get(input.id)).toBeNull();
          if (raw) expect(await raw.getSession(input.id)).toBeNull();
        }
      });

      it('refuses unsafe session ids and empty or over-long user ids with INVALID_INPUT', async () => {
        for (const id of ['', '../etc', 'a/b', 'has space', 'dot.ted', 'x'.repeat(129)]) {
          await expectReplayError(() => store.create(newSessionInput({ id })), 'INVALID_INPUT');
        }
        for (const userId of ['', 'u'.repeat(129)]) {
          const input = newSessionInput({ userId });
          await expectReplayError(() => store.create(input), 'INVALID_INPUT');
          expect(await store.get(input.id)).toBeNull();
        }
        const longest = await store.create(newSessionInput({ id: uniqueId('rs').padEnd(128, 'x') }));
        expect(longest.id).toHaveLength(128);
        await store.delete(longest.id);
        const longUser = `${uniqueId('u')}${'y'.repeat(128)}`.slice(0, 128);
        expect((await store.create(newSessionInput({ userId: longUser }))).userId).toBe(longUser);
      });

      it('enforces communityLimit over live sessions of the same community only', async () => {
        const communityId = uniqueId('community');
        const limit = { communityLimit: 2 };
        const a = await store.create(newSessionInput({ communityId }), limit);
        const b = await store.create(newSessionInput({ communityId }), limit);
        await store.transition(b.id, ['starting'], 'active');
        const blocked = newSessionInput({ communityId });
        const error = await expectReplayError(() => store.create(blocked, limit), 'LIMIT_REACHED');
        expect(error.details).toMatchObject({ communityId, limit: 2 });
        expect(await store.get(blocked.id)).toBeNull();
        if (raw) expect(await raw.getSession(blocked.id)).toBeNull();

        // Another community is not affected; neither is a create without a limit.
        await store.create(newSessionInput({ communityId: uniqueId('community') }), limit);
        // Ending a session frees a slot; terminal sessions never count.
        await store.transition(a.id, ['starting'], 'failed', { endedAt: new Date(), error: 'x' });
        const c = await store.create(newSessionInput({ communityId }), limit);
        expect(c.status).toBe('starting');
        await expectReplayError(() => store.create(newSessionInput({ communityId }), limit), 'LIMIT_REACHED');
        // A higher limit lets it through.
        await store.create(newSessionInput({ communityId }), { communityLimit: 3 });
      });

      it('checks ALREADY_ACTIVE before LIMIT_REACHED', async () => {
        const communityId = uniqueId('community');
        const first = await store.create(newSessionInput({ communityId }), { communityLimit: 1 });
        const error = await expectReplayError(
          () => store.create(newSessionInput({ communityId, userId: first.userId }), { communityLimit: 1 }),
          'ALREADY_ACTIVE',
        );
        expect(error.details?.sessionId).toBe(first.id);
      });

      it('applies no community limit to a session without a community', async () => {
        const created = await store.create(newSessionInput({ communityId: null }), { communityLimit: 0 });
        expect(created.communityId).toBeNull();
      });

      it('refuses a negative or fractional communityLimit with INVALID_INPUT', async () => {
        const communityId = uniqueId('community');
        for (const communityLimit of [-1, 1.5, Number.NaN]) {
          await expectReplayError(
            () => store.create(newSessionInput({ communityId }), { communityLimit }),
            'INVALID_INPUT',
          );
        }
      });
    });

    describe('races', () => {
      it('50 parallel creates for one user: exactly one wins, 49 get ALREADY_ACTIVE', async () => {
        const userId = uniqueId('user');
        const inputs = Array.from({ length: 50 }, () => newSessionInput({ userId }));
        const { values, codes } = tally(await Promise.allSettled(inputs.map((input) => store.create(input))));
        expect(values).toHaveLength(1);
        expect(codes).toEqual(Array(49).fill('ALREADY_ACTIVE'));
        const winner = values[0]!;
        expect((await store.findLiveByUser(userId))?.id).toBe(winner.id);
        if (raw) {
          for (const input of inputs) {
            const row = await raw.getSession(input.id);
            if (input.id === winner.id) expect(row?.status).toBe('starting');
            else expect(row).toBeNull();
          }
        }
      });

      it('community limit 3 with 20 parallel creates of different users: exactly 3 win', async () => {
        const communityId = uniqueId('community');
        const inputs = Array.from({ length: 20 }, () => newSessionInput({ communityId }));
        const { values, codes } = tally(
          await Promise.allSettled(inputs.map((input) => store.create(input, { communityLimit: 3 }))),
        );
        expect(values).toHaveLength(3);
        expect(codes).toEqual(Array(17).fill('LIMIT_REACHED'));
        const live = (await store.listByStatus(LIVE)).filter((s) => s.communityId === communityId);
        expect(live.map((s) => s.id).sort()).toEqual(values.map((s) => s.id).sort());
        const reader = raw;
        if (reader) {
          const rows = await Promise.all(inputs.map((input) => reader.getSession(input.id)));
          expect(rows.filter((row) => row !== null)).toHaveLength(3);
        }
      });

      it('20 parallel transitions starting→active vs starting→stopped: exactly one wins', async () => {
        const session = await store.create(newSessionInput());
        const attempts = Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? store.transition(session.id, ['starting'], 'active', { startedAt: new Date() })
            : store.transition(session.id, ['starting'], 'stopped', {
                endedAt: new Date(),
                endReason: 'user',
              }),
        );
        const results = await Promise.all(attempts);
        const winners = results.filter((result) => result !== null);
        expect(winners).toHaveLength(1);
        const final = await store.get(session.id);
        expect(final?.status).toBe(winners[0]!.status);
        if (raw) expect((await raw.getSession(session.id))?.status).toBe(winners[0]!.status);
      });

      it('20 parallel "egress ended" webhooks for one session: exactly one applies', async () => {
        const session = await sessionIn('active');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.transition(session.id, LIVE, 'stopped', { endedAt: new Date(), endReason: `webhook-${i}` }),
          ),
        );
        const winners = results.filter((result) => result !== null);
        expect(winners).toHaveLength(1);
        expect((await store.get(session.id))?.endReason).toBe(winners[0]!.endReason);
      });

      it('parallel heals of a stopped session and a new start for its user leave one live session', async () => {
        const stopped = await sessionIn('stopped');
        const fresh = newSessionInput({ userId: stopped.userId });
        const results = await Promise.allSettled([
          store.transition(stopped.id, ['stopped'], 'active', { endedAt: null, endReason: null }),
          store.create(fresh),
          store.transition(stopped.id, ['stopped'], 'active', { endedAt: null, endReason: null }),
        ]);
        for (const result of results) {
          if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'ALREADY_ACTIVE' });
        }
        const live = (await store.listByStatus(LIVE)).filter((s) => s.userId === stopped.userId);
        expect(live).toHaveLength(1);
      });
    });

    describe('transition', () => {
      it('moves the status and applies the patch when the status matches', async () => {
        const session = await store.create(newSessionInput());
        const egressId = uniqueId('EG');
        const startedAt = new Date(Date.now() - 1_500);
        const active = await store.transition(session.id, ['starting'], 'active', { egressId, startedAt });
        expect(active).toMatchObject({ id: session.id, status: 'active', egressId, startedAt });
        expect(active!.updatedAt.getTime()).toBeGreaterThanOrEqual(session.updatedAt.getTime());
        expect(active!.createdAt).toEqual(session.createdAt);
        expect(await store.get(session.id)).toEqual(active);
        if (raw) {
          expect(await raw.getSession(session.id)).toMatchObject({ status: 'active', egressId, startedAt });
        }
      });

      it('returns null and changes nothing when the status does not match or the id is unknown', async () => {
        const session = await sessionIn('active');
        expect(await store.transition(session.id, ['starting'], 'stopped', { endReason: 'x' })).toBeNull();
        expect(await store.transition(session.id, [], 'stopped')).toBeNull();
        expect(await store.get(session.id)).toEqual(session);
        expect(await store.transition(uniqueId('rs'), LIVE, 'stopped')).toBeNull();
        if (raw)
          expect(await raw.getSession(session.id)).toMatchObject({ status: 'active', endReason: null });
      });

      it('leaves fields given as undefined alone and clears fields given as null', async () => {
        const session = await store.create(newSessionInput({ egressId: uniqueId('EG') }));
        const failed = await store.transition(session.id, ['starting'], 'failed', {
          endedAt: new Date(),
          error: 'egress failed: out of disk',
          endReason: 'webhook',
        });
        const unchanged = await store.transition(session.id, ['failed'], 'failed', {
          error: undefined,
          endReason: undefined,
          missedSightings: 2,
        });
        expect(unchanged).toMatchObject({
          error: 'egress failed: out of disk',
          endReason: 'webhook',
          egressId: session.egressId,
          missedSightings: 2,
        });
        const cleared = await store.transition(session.id, ['failed'], 'failed', {
          error: null,
          egressId: null,
        });
        expect(cleared).toMatchObject({ error: null, egressId: null, endedAt: failed!.endedAt });
      });

      it('follows a webhook sequence: started, duplicate started, ended, duplicate ended', async () => {
        const session = await store.create(newSessionInput());
        const egressId = uniqueId('EG');
        await store.patch(session.id, ['starting'], { egressId });
        const found = (await store.findByEgressId(egressId))!;
        expect(found.id).toBe(session.id);

        // egress_started
        expect(
          await store.transition(found.id, ['starting'], 'active', { startedAt: new Date() }),
        ).not.toBeNull();
        // the same webhook delivered again
        expect(
          await store.transition(found.id, ['starting'], 'active', { startedAt: new Date() }),
        ).toBeNull();
        // egress_ended
        const endedAt = new Date();
        const stopped = await store.transition(found.id, LIVE, 'stopped', { endedAt, endReason: 'webhook' });
        expect(stopped).toMatchObject({ status: 'stopped', endedAt, endReason: 'webhook' });
        // retried egress_ended, and a stop by the user arriving after it
        expect(await store.transition(found.id, LIVE, 'stopped', { endReason: 'webhook' })).toBeNull();
        expect(await store.transition(found.id, LIVE, 'stopped', { endReason: 'user' })).toBeNull();
        expect((await store.get(found.id))?.endReason).toBe('webhook');
      });

      it('does not revive a stopped session with a late "active"', async () => {
        const session = await sessionIn('stopped');
        expect(await store.transition(session.id, ['starting'], 'active')).toBeNull();
        expect(await store.transition(session.id, LIVE, 'active')).toBeNull();
        expect(await store.transition(session.id, ['starting', 'active', 'failed'], 'active')).toBeNull();
        expect((await store.get(session.id))?.status).toBe('stopped');
        expect(await store.findLiveByUser(session.userId)).toBeNull();
        if (raw) expect((await raw.getSession(session.id))?.status).toBe('stopped');
      });

      it('records a failure with its error from starting or active', async () => {
        const starting = await store.create(newSessionInput());
        const active = await sessionIn('active');
        for (const session of [starting, active]) {
          const failed = await store.transition(session.id, LIVE, 'failed', {
            endedAt: new Date(),
            endReason: 'webhook',
            error: 'Start signal not received',
          });
          expect(failed).toMatchObject({ status: 'failed', error: 'Start signal not received' });
          if (raw)
            expect(await raw.getSession(session.id)).toMatchObject({
              status: 'failed',
              error: failed!.error,
            });
        }
      });

      it('heals stopped → active only when `from` lists stopped', async () => {
        const session = await sessionIn('stopped');
        expect(session.endedAt).not.toBeNull();
        const healed = await store.transition(session.id, ['stopped'], 'active', {
          endedAt: null,
          endReason: null,
          missedSightings: 0,
        });
        expect(healed).toMatchObject({ status: 'active', endedAt: null, endReason: null });
        expect((await store.findLiveByUser(session.userId))?.id).toBe(session.id);
        if (raw) expect(await raw.getSession(session.id)).toMatchObject({ status: 'active', endedAt: null });
      });

      it('refuses to heal a session whose user has started another one (ALREADY_ACTIVE)', async () => {
        const old = await sessionIn('stopped');
        const current = await store.create(newSessionInput({ userId: old.userId }));
        const error = await expectReplayError(
          () => store.transition(old.id, ['stopped'], 'active', { endedAt: null }),
          'ALREADY_ACTIVE',
        );
        expect(error.details?.sessionId).toBe(current.id);
        expect((await store.get(old.id))?.status).toBe('stopped');
        expect((await store.findLiveByUser(old.userId))?.id).toBe(current.id);
      });
    });

    describe('patch', () => {
      it('changes fields without touching the status when the status matches', async () => {
        const session = await sessionIn('active');
        const patched = await store.patch(session.id, ['active'], { missedSightings: 1 });
        expect(patched).toMatchObject({ status: 'active', missedSightings: 1, startedAt: session.startedAt });
        expect(patched!.updatedAt.getTime()).toBeGreaterThanOrEqual(session.updatedAt.getTime());
        expect(await store.get(session.id)).toEqual(patched);
        const cleared = await store.patch(session.id, LIVE, { missedSightings: 0 });
        expect(cleared?.missedSightings).toBe(0);
        if (raw)
          expect(await raw.getSession(session.id)).toMatchObject({ status: 'active', missedSightings: 0 });
      });

      it('returns null and changes nothing when the status does not match or the id is unknown', async () => {
        const session = await sessionIn('stopped');
        expect(await store.patch(session.id, LIVE, { missedSightings: 5, egressId: 'EG_x' })).toBeNull();
        expect(await store.get(session.id)).toEqual(session);
        expect(await store.patch(uniqueId('rs'), LIVE, { missedSightings: 1 })).toBeNull();
      });
    });

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
        if (raw) expect(await raw.getSession(session.id)).toBeNull();
        expect(await store.delete(session.id)).toBe(false);
        expect(await store.delete(uniqueId('rs'))).toBe(false);
        const again = await store.create(newSessionInput({ userId: session.userId }));
        expect(again.status).toBe('starting');
      });
    });
  });
}
