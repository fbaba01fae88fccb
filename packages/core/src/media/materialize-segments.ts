import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { safeJoin } from '../ids.js';
import type { SegmentReader } from '../ports/segment-source.js';
import type { Segment } from '../segments/types.js';

/** Segments copied at once from object storage (each copy is itself a few ranged GETs). */
const COPY_CONCURRENCY = 4;

export interface MaterializedSegments {
  /** The same segments, `path` pointing at local files (the originals when already local). */
  segments: Segment[];
  /** Removes the copies; always call it (in a `finally`). */
  release(): Promise<void>;
}

/**
 * Makes segments readable as files for ffmpeg: a local source's segments are returned as they
 * are; a remote source's are copied through `source.open` into a fresh directory under
 * `scratchDir` (named `*-partial-*`, so cache pruning leaves it alone while in use). Only the
 * given segments are copied, a few at a time. On failure or abort the other copies are stopped
 * and everything is removed before the error is thrown.
 */
export async function materializeSegments(
  source: SegmentReader | undefined,
  segments: readonly Segment[],
  scratchDir: string,
  signal?: AbortSignal,
): Promise<MaterializedSegments> {
  if (!source || source.local) return { segments: [...segments], release: async () => {} };
  const dir = path.join(scratchDir, `segments-partial-${randomBytes(4).toString('hex')}`);
  let createdScratch = false;
  const release = async () => {
    await rm(dir, { recursive: true, force: true });
    // A scratch directory made here goes too, unless something else was put in it meanwhile.
    if (createdScratch) await rmdir(scratchDir).catch(() => {});
  };
  // One failure stops the other copies, so nothing is still writing when the directory goes.
  const stop = new AbortController();
  const copySignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
  const copies = segments.map((segment) => ({ ...segment, path: safeJoin(dir, segment.name) }));
  let next = 0;
  let firstError: unknown;
  const worker = async () => {
    while (next < copies.length) {
      copySignal.throwIfAborted();
      const copy = copies[next++]!;
      const input = await source.open(copy, { signal: copySignal });
      await pipeline(input, createWriteStream(copy.path), { signal: copySignal });
    }
  };
  try {
    createdScratch = (await mkdir(scratchDir, { recursive: true })) !== undefined;
    await mkdir(dir);
    const outcomes = await Promise.allSettled(
      Array.from({ length: Math.min(COPY_CONCURRENCY, copies.length) }, () =>
        worker().catch((error: unknown) => {
          if (!stop.signal.aborted) {
            firstError = error;
            stop.abort(error);
          }
          throw error;
        }),
      ),
    );
    if (outcomes.some((o) => o.status === 'rejected')) throw firstError;
    return { segments: copies, release };
  } catch (error) {
    await release();
    throw error;
  }
}
