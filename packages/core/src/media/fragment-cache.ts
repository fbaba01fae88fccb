import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Segment } from '../segments/types.js';
import { resolveFfmpegPath } from './binaries.js';
import { type FragmentedMp4, splitFragmentedMp4 } from './fmp4-boxes.js';
import { runFfmpeg } from './run-ffmpeg.js';

/**
 * Fragmented-MP4 flags: one fragment per keyframe, an empty moov (the init part), data
 * offsets relative to each moof (fragments can move), and `frag_discont` so each `tfdt` keeps
 * the source's own decode time (with `-copyts`), which is what lets fragments from different
 * remuxes line up.
 */
const FRAGMENT_MOVFLAGS = 'frag_keyframe+empty_moov+default_base_moof+frag_discont';

export interface RemuxToFragmentsOptions {
  ffmpegPath: string;
  /** MPEG-TS input (one segment or a re-encoded head). */
  input: string;
  /** Temp file for ffmpeg's output; removed before returning. */
  scratchPath: string;
  /** Source-clock bounds (seconds): drop packets before `fromSeconds` / from `toSeconds` on. */
  fromSeconds?: number;
  toSeconds?: number;
  withAudio: boolean;
  signal?: AbortSignal;
}

/** Stream-copies an MPEG-TS file into fragmented MP4 and returns its init and media parts. */
export async function remuxToFragments(options: RemuxToFragmentsOptions): Promise<FragmentedMp4> {
  try {
    await runFfmpeg({
      ffmpegPath: options.ffmpegPath,
      inputs: [{ url: options.input, options: ['-copyts'] }],
      outputOptions: [
        '-map',
        '0:v:0',
        ...(options.withAudio ? ['-map', '0:a:0', '-bsf:a', 'aac_adtstoasc'] : []),
        '-c',
        'copy',
        ...(options.fromSeconds !== undefined ? ['-ss', options.fromSeconds.toFixed(6)] : []),
        ...(options.toSeconds !== undefined ? ['-to', options.toSeconds.toFixed(6)] : []),
        // With frag_discont, only the edit-list mode keeps source times in tfdt (else 0).
        '-use_editlist',
        '1',
        '-f',
        'mp4',
        '-movflags',
        FRAGMENT_MOVFLAGS,
      ],
      output: options.scratchPath,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const whole = await readFile(options.scratchPath);
    const parts = splitFragmentedMp4(whole);
    // Copies: the parts must not pin the whole file's buffer.
    return { init: Buffer.from(parts.init), media: Buffer.from(parts.media) };
  } finally {
    await rm(options.scratchPath, { force: true }).catch(() => undefined);
  }
}

/** The cache's directory under `clipsDir` when the manager turns the fragment cut on. */
export const FRAGMENT_CACHE_DIR = '.fragments';

export interface FragmentCacheOptions {
  /** Directory owned by the cache (e.g. `<clipsDir>/.fragments`). */
  dir: string;
  ffmpegPath?: string;
}

/** A segment as cached fMP4: the init part in memory, the media part on disk. */
export interface CachedFragment {
  init: Buffer;
  mediaPath: string;
}

export interface FragmentCacheStats {
  /** Segments remuxed by this cache instance. */
  remuxes: number;
  /** Requests answered from disk. */
  hits: number;
  /** Requests that joined a remux already running. */
  joined: number;
}

const SOURCE_FILE = 'source-dir';
const INIT_EXT = '.init.mp4';
const MEDIA_EXT = '.m4s';

/**
 * Each complete MPEG-TS segment remuxed once to fMP4 (init + media parts) and kept on disk
 * beside the clips, so a save mostly copies bytes. Entries are keyed by the segment's path,
 * size and mtime (a rewritten segment is never served stale), written to temp names and
 * renamed into place (a crash leaves no half entry), and concurrent requests for one segment
 * share one ffmpeg run. `sweep()` drops entries whose segment left the buffer.
 *
 * Layout: `<dir>/<session dir name>-<hash of its path>/<segment>.<size>-<mtime>.{init.mp4,m4s}`.
 */
export class FragmentCache {
  readonly dir: string;
  readonly stats: FragmentCacheStats = { remuxes: 0, hits: 0, joined: 0 };
  private readonly ffmpegPath: string;
  private readonly running = new Map<string, Promise<CachedFragment>>();
  private tempCounter = 0;
  private background: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: FragmentCacheOptions) {
    if (!path.isAbsolute(options.dir)) throw new Error('FragmentCache needs an absolute directory');
    this.dir = options.dir;
    this.ffmpegPath = resolveFfmpegPath(options.ffmpegPath);
  }

  /**
   * The segment's fragment, remuxing it if needed. `signal` stops the wait, not a remux other
   * callers may share (one segment takes a fraction of a second).
   */
  async get(segment: Segment, signal?: AbortSignal): Promise<CachedFragment> {
    signal?.throwIfAborted();
    const info = await stat(segment.path);
    const entry = this.entryPaths(segment, info.size, Math.floor(info.mtimeMs));
    let job = this.running.get(entry.init);
    if (job) {
      this.stats.joined++;
    } else {
      job = this.load(segment, entry).finally(() => this.running.delete(entry.init));
      this.running.set(entry.init, job);
    }
    return signal ? raceAbort(job, signal) : job;
  }

  /** True when the segment (as it is on disk now) is cached. */
  async has(segment: Segment): Promise<boolean> {
    const info = await stat(segment.path).catch(() => null);
    if (!info) return false;
    const entry = this.entryPaths(segment, info.size, Math.floor(info.mtimeMs));
    const found = await Promise.all([stat(entry.init), stat(entry.media)]).then(
      () => true,
      () => false,
    );
    return found;
  }

  /**
   * Queues segments to be cached one at a time in the background (one ffmpeg at a time, so a
   * burst of saves does not take every core). Resolves when this batch is done; never rejects.
   */
  warmInBackground(segments: Segment[]): Promise<void> {
    const batch = this.background.then(async () => {
      for (const segment of segments) {
        if (this.closed) return;
        await this.warm(segment);
      }
    });
    this.background = batch;
    return batch;
  }

  /**
   * Stops queued background work and waits for every remux in progress, so nothing writes into
   * the cache directory afterwards (shutdown, or before the directory is removed).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.background;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Remuxes a segment ahead of any save (e.g. when it completes); never rejects. */
  async warm(segment: Segment): Promise<boolean> {
    try {
      await this.get(segment);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Removes entries whose source segment is gone or was rewritten, and session directories
   * left empty. Returns how many entries it removed.
   */
  async sweep(): Promise<number> {
    let removed = 0;
    const sessions = await readdir(this.dir, { withFileTypes: true }).catch(() => []);
    for (const session of sessions) {
      if (!session.isDirectory()) continue;
      const sessionDir = path.join(this.dir, session.name);
      const sourceDir = await readFile(path.join(sessionDir, SOURCE_FILE), 'utf8').catch(() => null);
      const names = await readdir(sessionDir).catch(() => [] as string[]);
      for (const name of names) {
        if (name === SOURCE_FILE) continue;
        const key = parseEntryName(name);
        const keep =
          key !== null &&
          sourceDir !== null &&
          !this.isRunning(path.join(sessionDir, name)) &&
          (await stat(path.join(sourceDir, key.segment)).then(
            (s) => s.size === key.size && Math.floor(s.mtimeMs) === key.mtime,
            () => false,
          ));
        // Leftover temp files of a crashed process are not entries: drop them too.
        if (!keep && !this.isRunning(path.join(sessionDir, name))) {
          await rm(path.join(sessionDir, name), { force: true }).catch(() => undefined);
          if (name.endsWith(INIT_EXT)) removed++;
        }
      }
      const left = await readdir(sessionDir).catch(() => [SOURCE_FILE, 'x']);
      if (left.length === 1 && left[0] === SOURCE_FILE) {
        await rm(path.join(sessionDir, SOURCE_FILE), { force: true }).catch(() => undefined);
        await rmdir(sessionDir).catch(() => undefined);
      }
    }
    return removed;
  }

  private isRunning(file: string): boolean {
    const base = file.replace(/\.tmp-\d+-\d+(\.mp4)?$/, '').replace(/\.m4s$/, INIT_EXT);
    return this.running.has(base);
  }

  private entryPaths(segment: Segment, size: number, mtime: number) {
    const sourceDir = path.dirname(segment.path);
    const name = path.basename(segment.path);
    const tag = createHash('sha256').update(sourceDir).digest('hex').slice(0, 10);
    const sessionDir = path.join(this.dir, `${path.basename(sourceDir)}-${tag}`);
    const stem = path.join(sessionDir, `${name}.${size}-${mtime}`);
    return { sourceDir, sessionDir, init: `${stem}${INIT_EXT}`, media: `${stem}${MEDIA_EXT}` };
  }

  private async load(
    segment: Segment,
    entry: ReturnType<FragmentCache['entryPaths']>,
  ): Promise<CachedFragment> {
    const [init, mediaOk] = await Promise.all([
      readFile(entry.init).catch(() => null),
      stat(entry.media).then(
        (s) => s.isFile(),
        () => false,
      ),
    ]);
    if (init && mediaOk) {
      this.stats.hits++;
      return { init, mediaPath: entry.media };
    }
    await mkdir(entry.sessionDir, { recursive: true });
    await writeFile(path.join(entry.sessionDir, SOURCE_FILE), entry.sourceDir);
    const suffix = `.tmp-${process.pid}-${++this.tempCounter}`;
    const temps = [`${entry.media}${suffix}`, `${entry.init}${suffix}`, `${entry.init}${suffix}.mp4`];
    try {
      this.stats.remuxes++;
      const parts = await remuxToFragments({
        ffmpegPath: this.ffmpegPath,
        input: segment.path,
        scratchPath: temps[2]!,
        withAudio: true,
      }).catch(async (error) => {
        // A segment without audio: remux the video alone.
        if (!/matches no streams/i.test(errorText(error))) throw error;
        return remuxToFragments({
          ffmpegPath: this.ffmpegPath,
          input: segment.path,
          scratchPath: temps[2]!,
          withAudio: false,
        });
      });
      await writeFile(temps[0]!, parts.media);
      await writeFile(temps[1]!, parts.init);
      // Media first: an init on disk means its media is complete.
      await rename(temps[0]!, entry.media);
      await rename(temps[1]!, entry.init);
      return { init: parts.init, mediaPath: entry.media };
    } catch (error) {
      await Promise.all(temps.map((t) => rm(t, { force: true }).catch(() => undefined)));
      throw error;
    }
  }
}

function parseEntryName(name: string): { segment: string; size: number; mtime: number } | null {
  const m = /^(.+)\.(\d+)-(\d+)(\.init\.mp4|\.m4s)$/.exec(name);
  if (!m) return null;
  return { segment: m[1]!, size: Number(m[2]), mtime: Number(m[3]) };
}

function errorText(error: unknown): string {
  if (error && typeof error === 'object' && 'stderrTail' in error) return String(error.stderrTail);
  return error instanceof Error ? error.message : String(error);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
