/**
 * Hardening issue, item 7 (the parts outside the media pipeline): public calls that take bare
 * values validate them and fail only with a ReplayBufferError, whose message carries no path.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isReplayBufferError, toReplayBufferError } from '../errors.js';
import { ReplayBufferManager } from '../manager/replay-buffer-manager.js';
import { createMemoryStores } from '../memory/index.js';
import { redactErrorPaths, redactPaths } from '../redact-paths.js';

let root: string;
let manager: ReplayBufferManager;
const stores = createMemoryStores();

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lkr-errors-'));
  manager = new ReplayBufferManager({
    config: {
      livekit: { url: 'http://127.0.0.1:9', apiKey: 'key', apiSecret: 'secret-secret-secret-secret-32ch' },
      segmentsDir: path.join(root, 'segments'),
      clipsDir: path.join(root, 'clips'),
    },
    stores,
    coordination: { rateLimiter: false },
  });
});
afterAll(async () => {
  await manager.close();
  await rm(root, { recursive: true, force: true });
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isReplayBufferError(error)).toBe(true);
  return (error as { code: string }).code;
}

describe('handleWebhook with something other than the raw body', () => {
  it.each([
    ['a parsed object', { event: 'egress_ended' }],
    ['null', null],
    ['a number', 42],
    ['an array', [1, 2]],
  ])('%s → WEBHOOK_INVALID, not a TypeError', async (_label, body) => {
    const call = manager.handleWebhook({ body: body as never, authorization: 'header.payload.sig' });
    expect(await codeOf(call)).toBe('WEBHOOK_INVALID');
  });

  it('a non-string Authorization header → WEBHOOK_INVALID', async () => {
    expect(await codeOf(manager.handleWebhook({ body: '{}', authorization: 42 as never }))).toBe(
      'WEBHOOK_INVALID',
    );
  });
});

describe('ids of getBufferStatus / getCommunityConfig / setCommunityConfig', () => {
  const bad: unknown[] = ['', 'a\u0000b', 'with space', 'x'.repeat(129), 42, null, { id: 'x' }];

  it.each(bad.map((v) => [JSON.stringify(v) ?? String(v), v]))(
    '%s is INVALID_INPUT before any store',
    async (_l, id) => {
      expect(await codeOf(manager.getBufferStatus({ userId: id as string }))).toBe('INVALID_INPUT');
      expect(await codeOf(manager.getCommunityConfig({ communityId: id as string }))).toBe('INVALID_INPUT');
      expect(
        await codeOf(
          manager.setCommunityConfig({ communityId: id as string, enabled: true, maxConcurrent: 2 }),
        ),
      ).toBe('INVALID_INPUT');
    },
  );

  it('refuses malformed configs and keeps good ones (another community is unaffected)', async () => {
    await manager.setCommunityConfig({ communityId: 'c-good', enabled: false, maxConcurrent: 3 });
    for (const config of [
      null,
      7,
      { communityId: 'c-bad', enabled: 'yes', maxConcurrent: 2 },
      { communityId: 'c-bad', enabled: true, maxConcurrent: 0 },
    ]) {
      expect(await codeOf(manager.setCommunityConfig(config as never))).toBe('INVALID_INPUT');
    }
    expect(await manager.getCommunityConfig({ communityId: 'c-good' })).toEqual({
      communityId: 'c-good',
      enabled: false,
      maxConcurrent: 3,
    });
    expect(await stores.communities.get('c-bad')).toBeNull();
    expect(await manager.getBufferStatus({ userId: 'u-nobody' })).toBeNull();
  });
});

describe('redactPaths', () => {
  it('turns a Node error about a file under a root into a relative path, and other absolute paths into their last component', async () => {
    const segments = path.join(root, 'segments');
    const error = await open(path.join(segments, 'rs_x', 'replay_00001.ts')).catch((e) => e);
    const coded = redactErrorPaths(toReplayBufferError(error, 'STORAGE_ERROR', 'Saving failed'), [
      segments,
      path.join(root, 'clips'),
    ]);
    expect(coded.message).toContain("'rs_x/replay_00001.ts'");
    expect(coded.message).not.toContain(root);
    expect(coded.code).toBe('STORAGE_ERROR');

    expect(redactPaths('/opt/ffmpeg/in.ts: Invalid data found', [])).toBe('…/in.ts: Invalid data found');
    expect(redactPaths(`could not list ${segments}`, [segments])).toBe('could not list .');
    expect(redactPaths('see http://host/a/b for help', [])).toBe('see http://host/a/b for help');
  });
});
