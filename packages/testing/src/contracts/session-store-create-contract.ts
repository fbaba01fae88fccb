import type { SessionStore } from '@livekit-replay/core';
import type { NewSession } from '@livekit-replay/core/adapter';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectReplayError, newSessionInput, tally, uniqueId } from './helpers.js';
import { LIVE, type SessionContractSuite, type SessionRaw } from './session-store-suite.js';

/** SessionStore contract: create, its refusals (one live session per user, community limit) and the races on them. */
export function registerSessionCreateTests(suite: SessionContractSuite): void {
  const { sessionIn } = suite;

  describe('create', () => {
    let store: SessionStore;
    let raw: SessionRaw;
    beforeAll(() => {
      ({ store, raw } = suite);
    });

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
      expect(await raw.getSession(created.id)).toMatchObject({
        id: created.id,
        userId: input.userId,
        status: 'starting',
        egressId: null,
        communityId: input.communityId,
        missedSightings: 0,
      });
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
      expect(await raw.getSession(second.id)).toBeNull();

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
      expect((await raw.getSession(original.id))?.userId).toBe(original.userId);
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
        expect(await raw.getSession(input.id)).toBeNull();
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
      expect(await raw.getSession(blocked.id)).toBeNull();

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
    let store: SessionStore;
    let raw: SessionRaw;
    beforeAll(() => {
      ({ store, raw } = suite);
    });

    it('50 parallel creates for one user: exactly one wins, 49 get ALREADY_ACTIVE', async () => {
      const userId = uniqueId('user');
      const inputs = Array.from({ length: 50 }, () => newSessionInput({ userId }));
      const { values, codes } = tally(await Promise.allSettled(inputs.map((input) => store.create(input))));
      expect(values).toHaveLength(1);
      expect(codes).toEqual(Array(49).fill('ALREADY_ACTIVE'));
      const winner = values[0]!;
      expect((await store.findLiveByUser(userId))?.id).toBe(winner.id);
      for (const input of inputs) {
        const row = await raw.getSession(input.id);
        if (input.id === winner.id) expect(row?.status).toBe('starting');
        else expect(row).toBeNull();
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
      const rows = await Promise.all(inputs.map((input) => raw.getSession(input.id)));
      expect(rows.filter((row) => row !== null)).toHaveLength(3);
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
      expect((await raw.getSession(session.id))?.status).toBe(winners[0]!.status);
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
}
