import type { Notifier, ReplayNotification } from '@livekit-replay/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, uniqueId, waitFor } from './helpers.js';
import type { NotifierContractOptions } from './types.js';

/** A notification addressed to `userId`, tagged with `n` so tests can tell them apart. */
function stopped(userId: string, n: number): ReplayNotification {
  return {
    type: 'REPLAY_BUFFER_STOPPED',
    id: uniqueId('n'),
    userId,
    sessionId: uniqueId('rs'),
    egressId: uniqueId('EG'),
    roomName: 'room',
    channelId: null,
    at: new Date().toISOString(),
    reason: `r${n}`,
  };
}

/**
 * Registers the Notifier contract. Delivery may be asynchronous (pub/sub), so the suite waits
 * for deliveries; each test addresses its notifications to its own user id and ignores others
 * (a shared Redis carries other tests' traffic).
 */
export function runNotifierContract(options: NotifierContractOptions): void {
  const timeout = options.deliveryTimeoutMs ?? 5_000;

  describe(`${options.name}: Notifier contract`, () => {
    let publisher: Notifier;
    let subscriberSide: Notifier;

    beforeAll(async () => {
      publisher = await options.create();
      subscriberSide = options.crossInstance ? await options.create() : publisher;
    });

    afterAll(async () => {
      await options.cleanup?.();
    });

    /** Subscribes and collects the notifications addressed to `userId`. */
    async function collect(notifier: Notifier, userId: string) {
      const received: ReplayNotification[] = [];
      const unsubscribe = await notifier.subscribe((notification) => {
        if (notification.userId === userId) received.push(notification);
      });
      return { received, unsubscribe };
    }

    it('delivers a published notification to a subscriber, intact', async () => {
      const userId = uniqueId('user');
      const { received, unsubscribe } = await collect(publisher, userId);
      const notification: ReplayNotification = {
        type: 'CLIP_READY',
        id: uniqueId('n'),
        userId,
        sessionId: uniqueId('rs'),
        egressId: uniqueId('EG'),
        roomName: 'room',
        channelId: 'channel-1',
        at: new Date().toISOString(),
        captureId: uniqueId('cap'),
        clipId: uniqueId('clip'),
      };
      await publisher.publish(notification);
      await waitFor(() => received.length === 1, timeout, 'the notification');
      expect(received[0]).toEqual(notification);
      await unsubscribe();
    });

    it('delivers to every subscriber, in publishing order', async () => {
      const userId = uniqueId('user');
      const one = await collect(publisher, userId);
      const two = await collect(subscriberSide, userId);
      for (let n = 0; n < 5; n++) await publisher.publish(stopped(userId, n));
      await waitFor(
        () => one.received.length === 5 && two.received.length === 5,
        timeout,
        'five notifications',
      );
      const reasons = ['r0', 'r1', 'r2', 'r3', 'r4'];
      expect(one.received.map((n) => (n.type === 'REPLAY_BUFFER_STOPPED' ? n.reason : n.type))).toEqual(
        reasons,
      );
      expect(two.received.map((n) => (n.type === 'REPLAY_BUFFER_STOPPED' ? n.reason : n.type))).toEqual(
        reasons,
      );
      await one.unsubscribe();
      await two.unsubscribe();
    });

    it('stops delivering after unsubscribe; unsubscribing twice is harmless', async () => {
      const userId = uniqueId('user');
      const leaving = await collect(subscriberSide, userId);
      const staying = await collect(subscriberSide, userId);
      await publisher.publish(stopped(userId, 1));
      await waitFor(
        () => leaving.received.length === 1 && staying.received.length === 1,
        timeout,
        'the first one',
      );
      await leaving.unsubscribe();
      await leaving.unsubscribe();
      await publisher.publish(stopped(userId, 2));
      await waitFor(() => staying.received.length === 2, timeout, 'the second one');
      await sleep(100); // a late delivery to the removed listener would show up by now
      expect(leaving.received).toHaveLength(1);
      await staying.unsubscribe();
    });

    it('keeps delivering to other listeners when one listener throws', async () => {
      const userId = uniqueId('user');
      const throwing = await subscriberSide.subscribe((notification) => {
        if (notification.userId === userId) throw new Error('listener bug');
      });
      const healthy = await collect(subscriberSide, userId);
      await publisher.publish(stopped(userId, 1));
      await publisher.publish(stopped(userId, 2));
      await waitFor(() => healthy.received.length === 2, timeout, 'both notifications');
      await throwing();
      await healthy.unsubscribe();
    });

    if (options.crossInstance) {
      it('carries notifications from one instance to subscribers of another', async () => {
        const userId = uniqueId('user');
        const remote = await collect(subscriberSide, userId);
        const local = await collect(publisher, userId);
        await subscriberSide.publish(stopped(userId, 7));
        await waitFor(
          () => remote.received.length === 1 && local.received.length === 1,
          timeout,
          'both sides',
        );
        expect(local.received[0]).toEqual(remote.received[0]);
        await remote.unsubscribe();
        await local.unsubscribe();
      });
    }
  });
}
