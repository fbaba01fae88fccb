import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { safeJoin } from '../ids.js';

/**
 * The segment directory is shared with LiveKit's egress (and often other writers): everything
 * in it is untrusted. These helpers open only regular files that really sit in the directory
 * asked for: no symlink is followed (a segment or a whole session directory linked into
 * another user's directory), no FIFO or device is opened in a way that blocks or streams
 * forever, and what is read into memory is bounded.
 */

/** Largest playlist read into memory (~400 000 entries; a day of 2 s segments is 43 200). */
export const MAX_PLAYLIST_BYTES = 32 * 1024 * 1024;

/** Why a path was refused (for logs and error details). */
export type UnsafeFileReason = 'symlink' | 'not_regular' | 'not_directory' | 'outside_root' | 'too_large';

export interface RegularFileFacts {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

function unsafe(message: string, reason: UnsafeFileReason, name: string): ReplayBufferError {
  return new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, message, { details: { reason, name } });
}

const factsOf = (info: Stats): RegularFileFacts => ({
  size: info.size,
  mtimeMs: info.mtimeMs,
  ino: info.ino,
  dev: info.dev,
});

/** The error code of a failed fs call ('' when it is not an fs error). */
export function errnoOf(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? '';
}

/**
 * Checks that `dir` (a session directory) is a real directory inside `root`: not a symlink,
 * and its real path is `realpath(root)/<name>`. False when it does not exist (yet); a
 * STORAGE_ERROR naming the reason when it is something else.
 */
export async function assertDirectoryInside(root: string, dir: string): Promise<boolean> {
  const name = path.relative(path.resolve(root), path.resolve(dir));
  let info: Stats;
  try {
    info = await lstat(dir);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return false;
    throw error;
  }
  if (info.isSymbolicLink()) {
    throw unsafe('The session directory is a symbolic link; refusing to read it', 'symlink', name);
  }
  if (!info.isDirectory()) {
    throw unsafe('The session directory is not a directory; refusing to read it', 'not_directory', name);
  }
  const [realRoot, realDir] = await Promise.all([realpath(root), realpath(dir)]);
  if (name.startsWith('..') || path.isAbsolute(name) || realDir !== path.join(realRoot, name)) {
    throw unsafe('The session directory resolves outside the segments root', 'outside_root', name);
  }
  return true;
}

/**
 * `lstat` of `dir/name`: its facts when it is a regular file (never following a symlink),
 * null when it is missing or anything else (symlink, FIFO, device, directory).
 */
export async function statRegularFile(dir: string, name: string): Promise<RegularFileFacts | null> {
  try {
    const info = await lstat(safeJoin(dir, name));
    return info.isFile() ? factsOf(info) : null;
  } catch {
    return null;
  }
}

/** Throws STORAGE_ERROR unless `dir/name` is a regular file (not a symlink, FIFO, device). */
export async function assertRegularFile(dir: string, name: string): Promise<RegularFileFacts> {
  const facts = await statRegularFile(dir, name);
  if (!facts) throw unsafe(`${name} is missing or not a regular file`, 'not_regular', name);
  return facts;
}

/**
 * Opens `dir/name` for reading without following a symlink (O_NOFOLLOW) and without blocking
 * on a FIFO (O_NONBLOCK), then checks with fstat that it is a regular file. The caller closes
 * the handle. ENOENT passes through (the caller decides what "missing" means).
 */
export async function openRegularFile(
  dir: string,
  name: string,
): Promise<{ handle: FileHandle; facts: RegularFileFacts }> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  let handle: FileHandle;
  try {
    handle = await open(safeJoin(dir, name), flags);
  } catch (error) {
    // O_NOFOLLOW on a symlink fails with ELOOP.
    if (errnoOf(error) === 'ELOOP') throw unsafe(`${name} is a symbolic link`, 'symlink', name);
    throw error;
  }
  const info = await handle.stat().catch(async (error) => {
    await handle.close();
    throw error;
  });
  if (!info.isFile()) {
    await handle.close();
    throw unsafe(`${name} is not a regular file (FIFO, device or directory)`, 'not_regular', name);
  }
  return { handle, facts: factsOf(info) };
}

/** Reads `length` bytes at `position` (fewer if the file is shorter). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Reads a whole regular file of at most `maxBytes` (STORAGE_ERROR `too_large` beyond): never
 * more than the size fstat reported, so a file growing while it is read stays bounded.
 */
export async function readRegularFileBounded(
  dir: string,
  name: string,
  maxBytes: number,
): Promise<{ bytes: Buffer; facts: RegularFileFacts }> {
  const { handle, facts } = await openRegularFile(dir, name);
  try {
    if (facts.size > maxBytes) {
      throw unsafe(`${name} is larger than ${maxBytes} bytes; refusing to read it`, 'too_large', name);
    }
    return { bytes: await readAt(handle, 0, facts.size), facts };
  } finally {
    await handle.close();
  }
}

/**
 * Right before segments are handed to ffmpeg by path: each must still be a regular file (not
 * swapped for a symlink or FIFO since the index was read). A missing one is RANGE_UNAVAILABLE
 * (retention removed it), anything else STORAGE_ERROR; messages name files, never paths.
 */
export async function assertSegmentFiles(
  segments: ReadonlyArray<{ path: string; name: string }>,
): Promise<void> {
  for (const segment of segments) {
    let info: Stats;
    try {
      info = await lstat(segment.path);
    } catch (error) {
      throw new ReplayBufferError(
        ReplayErrorCode.RANGE_UNAVAILABLE,
        `Segment ${segment.name} is no longer in the replay buffer; try again`,
        { cause: error, details: { segmentName: segment.name } },
      );
    }
    if (!info.isFile()) {
      throw unsafe(
        `Segment ${segment.name} is not a regular file; refusing to read it`,
        'not_regular',
        segment.name,
      );
    }
  }
}
