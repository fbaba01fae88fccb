import type { CommunityConfigStore } from '@livekit-replay/core';
import type { CommunityReplayConfig } from '@livekit-replay/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReplayError, resolveRaw, uniqueId } from './helpers.js';
import type { CommunityConfigStoreContractOptions, RawOf } from './types.js';

/** Registers the CommunityConfigStore contract. */
export function runCommunityConfigStoreContract(options: CommunityConfigStoreContractOptions): void {
  describe(`${options.name}: CommunityConfigStore contract`, () => {
    let store: CommunityConfigStore;
    let raw: RawOf<typeof options> | undefined;

    beforeAll(async () => {
      store = await options.create();
      raw = resolveRaw(options.raw);
    });

    afterAll(async () => {
      await options.cleanup?.();
    });

    it('answers null for a community that never set a configuration', async () => {
      expect(await store.get(uniqueId('community'))).toBeNull();
    });

    it('stores a configuration and replaces it on the next set', async () => {
      const communityId = uniqueId('community');
      const first: CommunityReplayConfig = { communityId, enabled: true, maxConcurrent: 3 };
      expect(await store.set(first)).toEqual(first);
      expect(await store.get(communityId)).toEqual(first);
      if (raw) expect(await raw.getCommunityConfig(communityId)).toMatchObject(first);

      const second: CommunityReplayConfig = { communityId, enabled: false, maxConcurrent: 10 };
      expect(await store.set(second)).toEqual(second);
      expect(await store.get(communityId)).toEqual(second);
      if (raw) expect(await raw.getCommunityConfig(communityId)).toMatchObject(second);
    });

    it('keeps communities apart and accepts integrator-style ids', async () => {
      const a = `guild:${uniqueId('a')}`;
      const b = `guild:${uniqueId('b')}`;
      await store.set({ communityId: a, enabled: true, maxConcurrent: 1 });
      await store.set({ communityId: b, enabled: false, maxConcurrent: 2 });
      expect(await store.get(a)).toEqual({ communityId: a, enabled: true, maxConcurrent: 1 });
      expect(await store.get(b)).toEqual({ communityId: b, enabled: false, maxConcurrent: 2 });
    });

    it('hands out copies: mutating a result or the input does not change the store', async () => {
      const communityId = uniqueId('community');
      const input: CommunityReplayConfig = { communityId, enabled: true, maxConcurrent: 4 };
      const saved = await store.set(input);
      input.maxConcurrent = 99;
      saved.enabled = false;
      const fetched = (await store.get(communityId))!;
      fetched.maxConcurrent = 1;
      expect(await store.get(communityId)).toEqual({ communityId, enabled: true, maxConcurrent: 4 });
    });

    it('refuses a maxConcurrent that is not a positive integer, and an empty id, with INVALID_INPUT', async () => {
      const communityId = uniqueId('community');
      await store.set({ communityId, enabled: true, maxConcurrent: 2 });
      for (const maxConcurrent of [0, -1, 1.5, Number.NaN]) {
        await expectReplayError(
          () => store.set({ communityId, enabled: true, maxConcurrent }),
          'INVALID_INPUT',
        );
      }
      await expectReplayError(
        () => store.set({ communityId: '', enabled: true, maxConcurrent: 1 }),
        'INVALID_INPUT',
      );
      expect(await store.get(communityId)).toEqual({ communityId, enabled: true, maxConcurrent: 2 });
    });

    it('parallel sets leave one of the written configurations, whole', async () => {
      const communityId = uniqueId('community');
      const configs = Array.from({ length: 10 }, (_, i) => ({
        communityId,
        enabled: i % 2 === 0,
        maxConcurrent: i + 1,
      }));
      await Promise.all(configs.map((config) => store.set(config)));
      const final = await store.get(communityId);
      expect(configs).toContainEqual(final);
    });
  });
}
