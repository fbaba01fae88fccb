import type { ClipStore } from '@livekit-replay/core';
import type { ClipRecord, ListClipsOptions } from '@livekit-replay/core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deleteAll,
  expectReplayError,
  newClipRecord,
  resolveRaw,
  trackCreates,
  uniqueId,
} from './helpers.js';
import type { ClipStoreContractOptions, RawOf } from './types.js';

/** A fixed instant in the past, so listing tests do not depend on the clock. */
const BASE_TIME = Date.UTC(2026, 0, 15, 12, 0, 0);

/**
 * Registers the ClipStore contract. Listings are newest first (createdAt desc, id desc) with
 * opaque keyset cursors; every test uses its own owner id.
 */
export function runClipStoreContract(options: ClipStoreContractOptions): void {
  describe(`${options.name}: ClipStore contract`, () => {
    let store: ClipStore;
    let unwrapped: ClipStore | undefined;
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

    /** Creates clips for one owner, `secondsAgo[i]` seconds before BASE_TIME each. */
    async function clipsFor(ownerId: string, secondsAgo: number[], extra: Partial<ClipRecord> = {}) {
      const created: ClipRecord[] = [];
      for (const ago of secondsAgo) {
        created.push(
          await store.create(
            newClipRecord({ ownerId, createdAt: new Date(BASE_TIME - ago * 1000), ...extra }),
          ),
        );
      }
      return created;
    }

    /** Expected newest-first order of `clips`. */
    function newestFirst(clips: ClipRecord[]): string[] {
      return [...clips]
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
        .map((clip) => clip.id);
    }

    /** Follows cursors to the end; returns the page sizes and every id in order. */
    async function walk(ownerId: string, listOptions: ListClipsOptions) {
      const sizes: number[] = [];
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let guard = 0; guard < 100; guard++) {
        const page = await store.listByOwner(ownerId, { ...listOptions, cursor });
        sizes.push(page.items.length);
        ids.push(...page.items.map((clip) => clip.id));
        if (page.nextCursor === null) return { sizes, ids };
        expect(typeof page.nextCursor).toBe('string');
        cursor = page.nextCursor;
      }
      throw new Error('pagination did not end after 100 pages');
    }

    describe('create and get', () => {
      it('stores every field and returns it unchanged', async () => {
        const clip = newClipRecord({
          communityId: uniqueId('community'),
          channelId: 'channel-3',
          durationSeconds: 119.966667,
          sizeBytes: 5_000_000_123, // above 2^32: needs a 64-bit column
          visibility: 'public',
          posterKey: 'posters/p.jpg',
          title: 'Ace 🏆 — "clutch" round',
          metadata: {
            clampedStart: true,
            clampedEnd: false,
            gaps: [{ start: '2026-01-15T11:59:00.000Z', durationSeconds: 2.5 }],
            cutMode: 'accurate',
            segmentCount: 60,
          },
        });
        const created = await store.create(clip);
        expect(created).toEqual(clip);
        expect(await store.get(clip.id)).toEqual(clip);
        expect(await raw.getClip(clip.id)).toMatchObject({
          id: clip.id,
          ownerId: clip.ownerId,
          visibility: 'public',
          sizeBytes: 5_000_000_123,
          sha256: clip.sha256,
          storageKey: clip.storageKey,
        });
      });

      it('hands out copies: mutating a result or the input does not change the store', async () => {
        const clip = newClipRecord();
        const snapshot = structuredClone(clip);
        const created = await store.create(clip);
        clip.title = 'mutated input';
        clip.metadata.gaps.push({ start: 'x', durationSeconds: 1 });
        created.metadata.segmentCount = 0;
        created.createdAt.setTime(0);
        expect(await store.get(clip.id)).toEqual(snapshot);
        const fetched = (await store.get(clip.id))!;
        fetched.visibility = 'public';
        fetched.actualEnd.setTime(0);
        expect(await store.get(clip.id)).toEqual(snapshot);
      });

      it('refuses a duplicate id with INVALID_INPUT and keeps the original', async () => {
        const original = await store.create(newClipRecord());
        await expectReplayError(
          () => store.create(newClipRecord({ id: original.id, title: 'impostor' })),
          'INVALID_INPUT',
        );
        expect(await store.get(original.id)).toEqual(original);
        expect((await raw.getClip(original.id))?.sha256).toBe(original.sha256);
      });

      it('refuses unsafe clip ids and empty owner ids with INVALID_INPUT', async () => {
        for (const id of ['', '../x', 'a/b', 'a.mp4', 'x'.repeat(129)]) {
          await expectReplayError(() => store.create(newClipRecord({ id })), 'INVALID_INPUT');
        }
        const noOwner = newClipRecord({ ownerId: '' });
        await expectReplayError(() => store.create(noOwner), 'INVALID_INPUT');
        expect(await store.get(noOwner.id)).toBeNull();
      });

      it('get answers null for an unknown id', async () => {
        expect(await store.get(uniqueId('clip'))).toBeNull();
      });
    });

    describe('listByOwner', () => {
      it("lists only the owner's clips, newest first", async () => {
        const ownerId = uniqueId('owner');
        const mine = await clipsFor(ownerId, [30, 10, 20]);
        await clipsFor(uniqueId('owner'), [5]);
        const page = await store.listByOwner(ownerId);
        expect(page.items.map((clip) => clip.id)).toEqual(newestFirst(mine));
        expect(page.items[0]).toEqual(mine[1]);
        expect(page.nextCursor).toBeNull();
      });

      it('breaks createdAt ties by id, descending', async () => {
        const ownerId = uniqueId('owner');
        const stem = uniqueId('clip');
        const createdAt = new Date(BASE_TIME);
        for (const suffix of ['b', 'c', 'a']) {
          await store.create(newClipRecord({ id: `${stem}_${suffix}`, ownerId, createdAt }));
        }
        const page = await store.listByOwner(ownerId);
        expect(page.items.map((clip) => clip.id)).toEqual([`${stem}_c`, `${stem}_b`, `${stem}_a`]);
      });

      it('pages with cursors without gaps or repeats, ending with a null cursor', async () => {
        const ownerId = uniqueId('owner');
        // Two clips share a createdAt, so a page boundary falls inside a tie.
        const clips = await clipsFor(ownerId, [50, 40, 30, 30, 10]);
        const { sizes, ids } = await walk(ownerId, { limit: 2 });
        expect(sizes).toEqual([2, 2, 1]);
        expect(ids).toEqual(newestFirst(clips));
      });

      it('gives a null cursor on a last page that is exactly full', async () => {
        const ownerId = uniqueId('owner');
        const clips = await clipsFor(ownerId, [4, 3, 2, 1]);
        const { sizes, ids } = await walk(ownerId, { limit: 2 });
        expect(sizes).toEqual([2, 2]);
        expect(ids).toEqual(newestFirst(clips));
        const whole = await store.listByOwner(ownerId, { limit: 4 });
        expect(whole.items).toHaveLength(4);
        expect(whole.nextCursor).toBeNull();
      });

      it('uses 20 items per page by default and accepts limits 1 and 100', async () => {
        const ownerId = uniqueId('owner');
        const clips = await clipsFor(
          ownerId,
          Array.from({ length: 21 }, (_, i) => i),
        );
        const first = await store.listByOwner(ownerId);
        expect(first.items).toHaveLength(20);
        expect(first.nextCursor).not.toBeNull();
        const second = await store.listByOwner(ownerId, { cursor: first.nextCursor });
        expect(second.items).toHaveLength(1);
        expect(second.nextCursor).toBeNull();
        expect([...first.items, ...second.items].map((clip) => clip.id)).toEqual(newestFirst(clips));
        expect((await store.listByOwner(ownerId, { limit: 1 })).items).toHaveLength(1);
        expect((await store.listByOwner(ownerId, { limit: 100 })).items).toHaveLength(21);
      });

      it('refuses a limit outside 1–100 or fractional, and an invalid cursor, with INVALID_INPUT', async () => {
        const ownerId = uniqueId('owner');
        await clipsFor(ownerId, [1]);
        for (const limit of [0, -1, 101, 2.5, Number.NaN]) {
          await expectReplayError(() => store.listByOwner(ownerId, { limit }), 'INVALID_INPUT');
        }
        for (const cursor of ['not-a-cursor', '%%%', 'eyJmb28iOiJiYXIifQ']) {
          await expectReplayError(() => store.listByOwner(ownerId, { cursor }), 'INVALID_INPUT');
        }
      });

      it('keeps a cursor valid after the clip it points at is deleted', async () => {
        const ownerId = uniqueId('owner');
        const clips = await clipsFor(ownerId, [40, 30, 20, 10]);
        const order = newestFirst(clips);
        const first = await store.listByOwner(ownerId, { limit: 2 });
        expect(first.items.map((clip) => clip.id)).toEqual(order.slice(0, 2));
        await store.delete(order[1]!);
        const second = await store.listByOwner(ownerId, { limit: 2, cursor: first.nextCursor });
        expect(second.items.map((clip) => clip.id)).toEqual(order.slice(2));
      });

      it('filters by visibility, also across pages', async () => {
        const ownerId = uniqueId('owner');
        const publicClips = await clipsFor(ownerId, [60, 40, 20], { visibility: 'public' });
        const privateClips = await clipsFor(ownerId, [50, 30, 10], { visibility: 'private' });
        const publicWalk = await walk(ownerId, { visibility: 'public', limit: 2 });
        expect(publicWalk.ids).toEqual(newestFirst(publicClips));
        expect(publicWalk.sizes).toEqual([2, 1]);
        const privateWalk = await walk(ownerId, { visibility: 'private', limit: 5 });
        expect(privateWalk.ids).toEqual(newestFirst(privateClips));
        expect((await walk(ownerId, { limit: 4 })).ids).toEqual(
          newestFirst([...publicClips, ...privateClips]),
        );
      });

      it('answers an empty page for an owner without clips', async () => {
        expect(await store.listByOwner(uniqueId('owner'))).toEqual({ items: [], nextCursor: null });
      });
    });

    describe('setVisibility', () => {
      it('changes the visibility and returns the record; null for an unknown id', async () => {
        const clip = await store.create(newClipRecord());
        const shared = await store.setVisibility(clip.id, 'public');
        expect(shared).toEqual({ ...clip, visibility: 'public' });
        expect(await store.get(clip.id)).toEqual(shared);
        expect((await raw.getClip(clip.id))?.visibility).toBe('public');
        expect((await store.setVisibility(clip.id, 'private'))?.visibility).toBe('private');
        expect(await store.setVisibility(uniqueId('clip'), 'public')).toBeNull();
      });

      it('refuses an unknown visibility with INVALID_INPUT', async () => {
        const clip = await store.create(newClipRecord());
        await expectReplayError(
          () => store.setVisibility(clip.id, 'unlisted' as ClipRecord['visibility']),
          'INVALID_INPUT',
        );
        expect((await store.get(clip.id))?.visibility).toBe('private');
      });
    });

    describe('setTitle', () => {
      it('renames and returns the record, null clears the title; null for an unknown id', async () => {
        const clip = await store.create(newClipRecord());
        const renamed = await store.setTitle(clip.id, 'Ace in the last round');
        expect(renamed).toEqual({ ...clip, title: 'Ace in the last round' });
        expect(await store.get(clip.id)).toEqual(renamed);
        expect((await store.setTitle(clip.id, null))?.title).toBeNull();
        expect((await store.get(clip.id))?.title).toBeNull();
        expect(await store.setTitle(uniqueId('clip'), 'x')).toBeNull();
      });

      it('refuses a title over 200 characters with INVALID_INPUT and keeps the old one', async () => {
        const clip = await store.create(newClipRecord());
        await store.setTitle(clip.id, 'kept');
        await expectReplayError(() => store.setTitle(clip.id, 'x'.repeat(201)), 'INVALID_INPUT');
        expect((await store.get(clip.id))?.title).toBe('kept');
      });
    });

    describe('delete', () => {
      it('removes and returns the record; a second delete answers null', async () => {
        const clip = await store.create(newClipRecord());
        expect(await store.delete(clip.id)).toEqual(clip);
        expect(await store.get(clip.id)).toBeNull();
        expect(await raw.getClip(clip.id)).toBeNull();
        expect(await store.delete(clip.id)).toBeNull();
        expect((await store.listByOwner(clip.ownerId)).items).toEqual([]);
      });

      it('parallel deletes of one clip: exactly one gets the record', async () => {
        const clip = await store.create(newClipRecord());
        const results = await Promise.all(Array.from({ length: 10 }, () => store.delete(clip.id)));
        expect(results.filter((result) => result !== null)).toEqual([clip]);
      });
    });
  });
}
