import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { assertByteRange } from '../byte-range.js';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { safeJoin } from '../ids.js';
import type { ByteRange, ClipStorage, PendingWrite } from '../ports/clip-storage.js';

const TEMP_PREFIX = '.partial-';

/** Resolves a storage key (`clips/clip_ab12.mp4`) to a path under `root`, refusing traversal. */
function keyToPath(root: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
    throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, 'storage key must be a non-empty string');
  }
  return safeJoin(root, ...key.split('/'));
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function storageError(action: string, error: unknown): ReplayBufferError {
  if (error instanceof ReplayBufferError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const hint = code === 'ENOSPC' ? ' (the disk is full)' : code === 'EACCES' ? ' (permission denied)' : '';
  return new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `Could not ${action}${hint}`, {
    cause: error,
    details: code ? { errno: code } : undefined,
  });
}

/**
 * Clips and posters in a local directory (or a mounted volume). Writes land in a temporary
 * file beside the destination and are published with an atomic rename, so readers never see
 * a partial clip.
 */
export class LocalClipStorage implements ClipStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async beginWrite(key: string): Promise<PendingWrite> {
    const finalPath = keyToPath(this.root, key);
    const dir = path.dirname(finalPath);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw storageError(`create the clip directory for ${key}`, error);
    }
    const tempPath = path.join(
      dir,
      `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-${path.basename(finalPath)}`,
    );
    let settled = false;
    return {
      path: tempPath,
      commit: async () => {
        if (settled) throw new ReplayBufferError(ReplayErrorCode.INTERNAL, `write of ${key} already settled`);
        settled = true;
        try {
          const { size } = await stat(tempPath);
          await rename(tempPath, finalPath);
          return { key, sizeBytes: size };
        } catch (error) {
          await rm(tempPath, { force: true });
          throw storageError(`publish ${key}`, error);
        }
      },
      abort: async () => {
        settled = true;
        await rm(tempPath, { force: true });
      },
    };
  }

  async openRead(key: string, range?: ByteRange): Promise<Readable> {
    const filePath = keyToPath(this.root, key);
    const size = await this.size(key);
    if (size === null) {
      throw new ReplayBufferError(ReplayErrorCode.CLIP_NOT_FOUND, `No stored file for ${key}`);
    }
    if (range) assertByteRange(range, size);
    return createReadStream(filePath, range ? { start: range.start, end: range.end } : {});
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(keyToPath(this.root, key))).size;
    } catch (error) {
      if (isMissing(error)) return null;
      throw storageError(`read ${key}`, error);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await rm(keyToPath(this.root, key), { force: true });
    } catch (error) {
      throw storageError(`delete ${key}`, error);
    }
  }

  /** Removes temporary files left by a crash, older than `olderThanMs`. Returns how many. */
  async sweepPartialWrites(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const visit = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if (isMissing(error)) return;
        throw storageError('list the clip directory', error);
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await visit(full);
        else if (entry.name.startsWith(TEMP_PREFIX)) {
          const info = await stat(full).catch(() => null); // removed meanwhile: nothing to sweep
          if (info && now - info.mtimeMs > olderThanMs) {
            await rm(full, { force: true });
            removed++;
          }
        }
      }
    };
    await visit(this.root);
    return removed;
  }
}
