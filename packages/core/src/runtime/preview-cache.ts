import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isSafeId, safeJoin } from '../ids.js';
import { attempt, type ManagerContext } from './context.js';

/** Directory under `clipsDir` for remuxed preview segments and timeline thumbnails. */
export const PREVIEW_CACHE_DIR = '.preview';

/** `clipsDir/.preview/<sessionId>` */
export function previewCacheDirOf(ctx: ManagerContext, sessionId: string): string {
  // safeJoin refuses dot-names: join the fixed directory first, then check the id.
  return safeJoin(path.join(ctx.config.clipsDir, PREVIEW_CACHE_DIR), sessionId);
}

/** Removes a session's preview cache (remuxed segments, thumbnails). */
export async function deletePreviewCache(ctx: ManagerContext, sessionId: string): Promise<void> {
  await rm(previewCacheDirOf(ctx, sessionId), { recursive: true, force: true });
}

/**
 * Removes the preview caches of sessions that are gone: no record, or ended longer ago than
 * `retainAfterStopSeconds` (their segments are deleted then too). Meant for the segment
 * cleanup job; returns how many session caches were removed.
 */
export async function sweepPreviewCaches(ctx: ManagerContext, now = Date.now()): Promise<number> {
  const root = path.join(ctx.config.clipsDir, PREVIEW_CACHE_DIR);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return 0; // no cache directory yet: nothing to sweep
  }
  let removed = 0;
  for (const name of names) {
    const session = isSafeId(name) ? await ctx.sessions.get(name) : null;
    const expired =
      !session ||
      (session.endedAt !== null &&
        now - session.endedAt.getTime() > ctx.config.retainAfterStopSeconds * 1000);
    if (!expired) continue;
    await rm(path.join(root, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/**
 * Removes cache entries whose segment left the buffer (and leftovers of interrupted writes).
 * `keep` says whether a cached file name still belongs to a segment in the index.
 */
export async function pruneCacheDir(
  ctx: ManagerContext,
  dir: string,
  keep: (name: string) => boolean,
): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return; // nothing cached yet
  }
  await Promise.all(
    names
      .filter((name) => !keep(name))
      .map((name) =>
        attempt(ctx, { operation: 'pruning the preview cache', path: path.join(dir, name) }, () =>
          rm(path.join(dir, name), { recursive: true, force: true }),
        ),
      ),
  );
}

/** Bounds concurrent ffmpeg runs for previews and thumbnails in this process. */
class Gate {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly capacity: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.capacity) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
const previewMediaGate = new Gate(2);

/** Productions in flight, by cache path: one ffmpeg per file however many requests ask. */
const inFlight = new Map<string, Promise<void>>();

/**
 * Makes sure `target` exists, producing it with `produce(tempPath)` once (concurrent callers
 * share the work) and publishing it with an atomic rename. A failed run leaves nothing behind.
 */
export async function ensureCached(
  ctx: ManagerContext,
  target: string,
  produce: (tempPath: string) => Promise<void>,
): Promise<void> {
  const exists = await stat(target).then(
    () => true,
    () => false,
  );
  if (exists) return;
  let job = inFlight.get(target);
  if (!job) {
    job = (async () => {
      await mkdir(path.dirname(target), { recursive: true });
      const ext = path.extname(target);
      const temp = path.join(
        path.dirname(target),
        `${path.basename(target, ext)}-partial-${randomBytes(4).toString('hex')}${ext}`,
      );
      try {
        await previewMediaGate.run(() => produce(temp));
        await rename(temp, target);
      } catch (error) {
        await attempt(ctx, { operation: 'removing a partial preview file', path: temp }, () =>
          rm(temp, { force: true }),
        );
        throw error;
      }
    })().finally(() => inFlight.delete(target));
    inFlight.set(target, job);
  }
  await job;
}
