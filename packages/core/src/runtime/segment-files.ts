import path from 'node:path';
import { materializeSegments } from '../media/materialize-segments.js';
import type { SegmentReader } from '../ports/segment-source.js';
import { assertSegmentFiles } from '../segments/safe-files.js';
import type { Segment } from '../segments/types.js';
import type { ManagerContext } from './context.js';
import { ensureCached } from './preview-cache.js';

/**
 * Runs `use` on a file holding `segment`: the segment itself for a local source (still a
 * regular file in its directory: no symlink or FIFO swapped in), else a copy read through
 * `source.open` into `scratchDir`, removed afterwards whatever happens.
 */
export async function withSegmentFile<T>(
  source: SegmentReader,
  segment: Segment,
  scratchDir: string,
  use: (file: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  if (source.local) await assertSegmentFiles([segment]);
  const files = await materializeSegments(source, [segment], scratchDir, signal);
  try {
    return await use(files.segments[0]!.path);
  } finally {
    await files.release();
  }
}

/**
 * `ensureCached` for a file made from one segment (a preview remux, a thumbnail): a remote
 * segment is copied beside the cache entry only when the entry has to be made.
 */
export async function ensureCachedFromSegment(
  ctx: ManagerContext,
  source: SegmentReader,
  segment: Segment,
  target: string,
  produce: (segmentFile: string, tempPath: string) => Promise<void>,
): Promise<void> {
  if (source.local) await assertSegmentFiles([segment]); // checked even when cached, as before
  await ensureCached(ctx, target, (temp) =>
    withSegmentFile(source, segment, path.dirname(temp), (file) => produce(file, temp)),
  );
}
