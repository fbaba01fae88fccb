import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { isSafeId } from '../ids.js';
import type { ManagerContext } from '../runtime/context.js';
import { reportError } from '../runtime/context.js';
import { isLive } from '../runtime/session-lifecycle.js';
import { type TrimResult, trimSessionSegments } from './segment-retention.js';

export interface SegmentWatcherOptions {
  /** Poll instead of inotify/FSEvents (network filesystems do not deliver events). */
  usePolling?: boolean;
  /** Poll interval when polling, ms. */
  pollIntervalMs?: number;
  /** Observes every trim (logging, metrics, tests). */
  onTrim?: (sessionId: string, result: TrimResult) => void;
}

/**
 * Watches the segments root (one level of session directories) with chokidar; each new segment
 * in a live session's directory trims that session to its rolling window, so the disk holds
 * little more than the buffer. Trims of one session run one at a time (a burst of new files
 * causes at most one extra pass). The periodic sweep (`cleanupOldSegments`) is the safety net
 * for missed events and for filesystems that deliver none.
 */
export class SegmentWatcher {
  private watcher: FSWatcher | null = null;
  private readonly trimming = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private closed = false;

  constructor(
    private readonly ctx: ManagerContext,
    private readonly options: SegmentWatcherOptions = {},
  ) {}

  /** Starts watching; resolves once the initial scan is done. */
  async start(): Promise<void> {
    if (this.watcher || this.closed) return;
    // A bucket delivers no change events, and polling list() per session would repeat the
    // segment cleanup pass, which trims object storage every tick: nothing to watch.
    if (!this.ctx.segments.local) return;
    const root = this.ctx.config.segmentsDir;
    await mkdir(root, { recursive: true });
    const watcher = watch(root, {
      depth: 1,
      followSymlinks: false, // a symlinked session directory is not ours to watch
      ignoreInitial: true,
      persistent: true,
      usePolling: this.options.usePolling ?? false,
      ...(this.options.pollIntervalMs ? { interval: this.options.pollIntervalMs } : {}),
      // Only segment files matter; playlists and temp files are rewritten constantly.
      ignored: (file, stats) => stats?.isFile() === true && !file.endsWith('.ts'),
    });
    this.watcher = watcher;
    watcher.on('add', (file) => this.onFile(root, file));
    watcher.on('error', (error) => {
      reportError(this.ctx, error, { operation: 'watching the segments directory' });
    });
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  /** Stops watching and waits for trims in progress. */
  async close(): Promise<void> {
    this.closed = true;
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.close();
    this.again.clear();
    await Promise.allSettled([...this.trimming.values()]);
  }

  /** Resolves when no trim is running (tests). */
  async idle(): Promise<void> {
    while (this.trimming.size > 0) await Promise.allSettled([...this.trimming.values()]);
  }

  private onFile(root: string, file: string): void {
    const relative = path.relative(root, file);
    const parts = relative.split(path.sep);
    if (parts.length !== 2 || !parts[1]?.endsWith('.ts')) return;
    const dir = parts[0];
    if (!dir || !isSafeId(dir)) return;
    this.schedule(dir);
  }

  private schedule(dir: string): void {
    if (this.closed) return;
    if (this.trimming.has(dir)) {
      this.again.add(dir);
      return;
    }
    const pass = this.trim(dir).finally(() => {
      this.trimming.delete(dir);
      if (this.again.delete(dir)) this.schedule(dir);
    });
    this.trimming.set(dir, pass);
  }

  private async trim(dir: string): Promise<void> {
    try {
      const session = await this.ctx.sessions.get(dir);
      if (!session || session.segmentDir !== dir || !isLive(session)) return;
      const result = await trimSessionSegments(this.ctx, session);
      this.options.onTrim?.(session.id, result);
    } catch (error) {
      reportError(this.ctx, error, { operation: 'trimming a session as segments land', sessionId: dir });
    }
  }
}
