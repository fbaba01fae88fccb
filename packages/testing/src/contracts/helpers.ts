import { randomBytes } from 'node:crypto';
import type { ReplayErrorCode } from '@livekit-replay/core';
import type { ClipRecord, NewSession } from '@livekit-replay/core/adapter';
import { expect } from 'vitest';

/** A safe id unique across concurrent suite runs: `${prefix}_${random}`. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ReplayErrorLike {
  name: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Runs `action` and asserts it fails with a ReplayBufferError of `code`. Checks name and code
 * rather than instanceof, so a built adapter and a source-linked core still match.
 */
export async function expectReplayError(
  action: () => Promise<unknown>,
  code: ReplayErrorCode,
): Promise<ReplayErrorLike> {
  let failure: unknown;
  try {
    await action();
  } catch (error) {
    failure = error;
  }
  if (failure === undefined) throw new Error(`expected a ReplayBufferError ${code}, but the call succeeded`);
  expect(failure).toMatchObject({ name: 'ReplayBufferError', code });
  return failure as ReplayErrorLike;
}

/** Splits settled results of a race into values and error codes. */
export function tally<T>(results: PromiseSettledResult<T>[]): { values: T[]; codes: string[] } {
  const values: T[] = [];
  const codes: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') values.push(result.value);
    else codes.push((result.reason as { code?: string })?.code ?? String(result.reason));
  }
  return { values, codes };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** A valid NewSession with unique ids; override what a test cares about. */
export function newSessionInput(overrides: Partial<NewSession> = {}): NewSession {
  const id = overrides.id ?? uniqueId('rs');
  return {
    id,
    userId: uniqueId('user'),
    roomName: uniqueId('room'),
    videoTrackId: 'TR_VCam1',
    audioTrackId: null,
    communityId: null,
    channelId: null,
    quality: '1080p',
    egressId: null,
    segmentDir: id,
    filenamePrefix: 'replay',
    playlistName: 'replay.m3u8',
    livePlaylistName: 'replay-live.m3u8',
    segmentNaming: 'INDEX',
    segmentDurationSeconds: 2,
    ...overrides,
  };
}

/** A valid ClipRecord with unique ids, created at `createdAt` (default now, ms precision). */
export function newClipRecord(overrides: Partial<ClipRecord> = {}): ClipRecord {
  const id = overrides.id ?? uniqueId('clip');
  const createdAt = overrides.createdAt ?? new Date();
  const end = createdAt.getTime() - 1_000;
  return {
    id,
    ownerId: uniqueId('owner'),
    sessionId: uniqueId('rs'),
    communityId: null,
    roomName: 'room-1',
    channelId: null,
    requestedStart: new Date(end - 60_000),
    requestedEnd: new Date(end),
    actualStart: new Date(end - 59_500),
    actualEnd: new Date(end),
    durationSeconds: 59.5,
    sizeBytes: 12_345_678,
    sha256: randomBytes(32).toString('hex'),
    mimeType: 'video/mp4',
    width: 1920,
    height: 1080,
    visibility: 'private',
    storageKey: `clips/${id}.mp4`,
    posterKey: null,
    title: null,
    metadata: { clampedStart: false, clampedEnd: false, gaps: [], cutMode: 'fast', segmentCount: 30 },
    createdAt,
    ...overrides,
  };
}

/**
 * Wraps a store so the id of every record passed to `create` is remembered; the suites delete
 * those records afterwards, leaving a shared database as they found it.
 */
export function trackCreates<T extends object>(store: T, ids: Set<string>): T {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (property === 'create') {
        return (record: { id: string }, ...rest: unknown[]) => {
          ids.add(record.id);
          return value.apply(target, [record, ...rest]);
        };
      }
      return value.bind(target);
    },
  });
}

/** Deletes what a suite created; failures are ignored (the suite already reported them). */
export async function deleteAll(
  ids: Iterable<string>,
  remove: (id: string) => Promise<unknown>,
): Promise<void> {
  for (const id of ids) {
    try {
      await remove(id);
    } catch {
      // best effort
    }
  }
}

/** A suite's raw reader: the object itself, or what its factory returns. */
export function resolveRaw<T extends object>(raw: T | (() => T) | undefined): T | undefined {
  return typeof raw === 'function' ? (raw as () => T)() : raw;
}
