import type { SessionStore } from '@livekit-replay/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectReplayError, newSessionInput, uniqueId } from './helpers.js';
import { LIVE, type SessionContractSuite, type SessionRaw } from './session-store-suite.js';

/** SessionStore contract: the conditional updates (`transition` and `patch` apply only from the given statuses). */
export function registerSessionTransitionTests(suite: SessionContractSuite): void {
  const { sessionIn } = suite;

  describe('transition', () => {
    let store: SessionStore;
    let raw: SessionRaw;
    beforeAll(() => {
      ({ store, raw } = suite);
    });

    it('moves the status and applies the patch when the status matches', async () => {
      const session = await store.create(newSessionInput());
      const egressId = uniqueId('EG');
      const startedAt = new Date(Date.now() - 1_500);
      const active = await store.transition(session.id, ['starting'], 'active', { egressId, startedAt });
      expect(active).toMatchObject({ id: session.id, status: 'active', egressId, startedAt });
      expect(active!.updatedAt.getTime()).toBeGreaterThanOrEqual(session.updatedAt.getTime());
      expect(active!.createdAt).toEqual(session.createdAt);
      expect(await store.get(session.id)).toEqual(active);
      expect(await raw.getSession(session.id)).toMatchObject({ status: 'active', egressId, startedAt });
    });

    it('returns null and changes nothing when the status does not match or the id is unknown', async () => {
      const session = await sessionIn('active');
      expect(await store.transition(session.id, ['starting'], 'stopped', { endReason: 'x' })).toBeNull();
      expect(await store.transition(session.id, [], 'stopped')).toBeNull();
      expect(await store.get(session.id)).toEqual(session);
      expect(await store.transition(uniqueId('rs'), LIVE, 'stopped')).toBeNull();
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
      expect(await store.transition(found.id, ['starting'], 'active', { startedAt: new Date() })).toBeNull();
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
      expect((await raw.getSession(session.id))?.status).toBe('stopped');
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
      expect(await raw.getSession(session.id)).toMatchObject({ status: 'active', endedAt: null });
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
    let store: SessionStore;
    let raw: SessionRaw;
    beforeAll(() => {
      ({ store, raw } = suite);
    });

    it('changes fields without touching the status when the status matches', async () => {
      const session = await sessionIn('active');
      const patched = await store.patch(session.id, ['active'], { missedSightings: 1 });
      expect(patched).toMatchObject({ status: 'active', missedSightings: 1, startedAt: session.startedAt });
      expect(patched!.updatedAt.getTime()).toBeGreaterThanOrEqual(session.updatedAt.getTime());
      expect(await store.get(session.id)).toEqual(patched);
      const cleared = await store.patch(session.id, LIVE, { missedSightings: 0 });
      expect(cleared?.missedSightings).toBe(0);
      expect(await raw.getSession(session.id)).toMatchObject({ status: 'active', missedSightings: 0 });
    });

    it('returns null and changes nothing when the status does not match or the id is unknown', async () => {
      const session = await sessionIn('stopped');
      expect(await store.patch(session.id, LIVE, { missedSightings: 5, egressId: 'EG_x' })).toBeNull();
      expect(await store.get(session.id)).toEqual(session);
      expect(await store.patch(uniqueId('rs'), LIVE, { missedSightings: 1 })).toBeNull();
    });
  });
}
