import type { Dirent } from 'node:fs';
import { readdir, rm, unlink } from 'node:fs/promises';
import { addAbortSignal, Readable } from 'node:stream';
import { assertByteRange } from '../byte-range.js';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { assertSafeId, safeJoin } from '../ids.js';
import type {
  ListSegmentsOptions,
  OpenSegmentOptions,
  SegmentSource,
  SegmentSourceFactory,
  SegmentSourceLayout,
} from '../ports/segment-source.js';
import { errnoOf, openRegularFile } from '../segments/safe-files.js';
import { readSegmentIndex } from '../segments/segment-index.js';
import { parseSegmentName } from '../segments/segment-names.js';
import { defaultSegmentProber, type SegmentProber } from '../segments/segment-probe.js';
import type { Segment, SegmentIndexSnapshot } from '../segments/types.js';

export interface LocalSegmentSourceOptions {
  /** Probes segments the playlists do not list yet (default: the shared in-process reader). */
  prober?: SegmentProber;
}

/**
 * The segments an egress writes to a local (or mounted) directory: `layout.dir` is that
 * absolute directory. Listing is `readSegmentIndex` (its caches are per process, so a source
 * is cheap to make); reads and deletes go by segment name inside the directory only, never
 * following a symlink.
 */
export class LocalSegmentSource implements SegmentSource {
  /** Segments are files: ffmpeg may read `Segment.path` directly. */
  readonly local = true;

  constructor(
    readonly layout: SegmentSourceLayout,
    private readonly options: LocalSegmentSourceOptions = {},
  ) {}

  list(options: ListSegmentsOptions = {}): Promise<SegmentIndexSnapshot> {
    return readSegmentIndex(this.layout, {
      prober: this.options.prober ?? defaultSegmentProber(),
      ...(options.gapToleranceMs !== undefined ? { gapToleranceMs: options.gapToleranceMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.egressEnded !== undefined ? { egressEnded: options.egressEnded } : {}),
      ...(options.onAnomaly ? { onAnomaly: options.onAnomaly } : {}),
    });
  }

  async open(segment: Segment, options: OpenSegmentOptions = {}): Promise<Readable> {
    this.assertSegmentName(segment.name);
    const range = options.range ?? { start: 0, end: segment.sizeBytes - 1 };
    assertByteRange(range, segment.sizeBytes);
    let opened: Awaited<ReturnType<typeof openRegularFile>>;
    try {
      opened = await openRegularFile(this.layout.dir, segment.name);
    } catch (error) {
      throw readError(segment.name, error);
    }
    const stream = opened.handle.createReadStream({ start: range.start, end: range.end, autoClose: true });
    return options.signal ? addAbortSignal(options.signal, stream) : stream;
  }

  openMany(segments: readonly Segment[], options: { signal?: AbortSignal } = {}): Readable {
    const open = (segment: Segment) => this.open(segment, options);
    return Readable.from(
      (async function* () {
        for (const segment of segments) {
          if (segment.sizeBytes > 0) yield* await open(segment);
        }
      })(),
      { objectMode: false },
    );
  }

  async deleteSegments(segments: readonly Pick<Segment, 'name'>[]): Promise<number> {
    const names = [...new Set(segments.map((s) => s.name))];
    for (const name of names) this.assertSegmentName(name);
    for (const name of names) {
      try {
        await unlink(safeJoin(this.layout.dir, name));
      } catch (error) {
        // Someone else (another instance, the watcher) got there first.
        if (errnoOf(error) !== 'ENOENT') throw readError(name, error, 'delete');
      }
    }
    return names.length;
  }

  private assertSegmentName(name: string): void {
    if (!parseSegmentName(name, this.layout.filenamePrefix, this.layout.naming)) {
      throw new ReplayBufferError(ReplayErrorCode.INVALID_INPUT, `"${name}" is not a segment of this egress`);
    }
  }
}

function readError(name: string, error: unknown, action = 'read'): ReplayBufferError {
  if (error instanceof ReplayBufferError) return error;
  if (errnoOf(error) === 'ENOENT') {
    return new ReplayBufferError(
      ReplayErrorCode.RANGE_UNAVAILABLE,
      `Segment ${name} is no longer in the replay buffer; try again`,
      { cause: error, details: { segmentName: name } },
    );
  }
  return new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, `Could not ${action} segment ${name}`, {
    cause: error,
    details: { segmentName: name, errno: errnoOf(error) || undefined },
  });
}

/**
 * Sources for the session directories under `root` (the manager's `segmentsDir`): a layout's
 * `dir` is one directory name directly under it.
 */
export class LocalSegmentSourceFactory implements SegmentSourceFactory {
  readonly local = true;

  constructor(
    readonly root: string,
    private readonly options: LocalSegmentSourceOptions = {},
  ) {}

  forLayout(layout: SegmentSourceLayout): LocalSegmentSource {
    return new LocalSegmentSource({ ...layout, dir: this.dirOf(layout) }, this.options);
  }

  /** Nothing to forget: the index caches are per process and bounded. */
  release(): void {}

  async listDirs(): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return [];
      throw new ReplayBufferError(ReplayErrorCode.STORAGE_ERROR, 'Could not list the segments root', {
        cause: error,
      });
    }
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  }

  async deleteLayout(layout: Pick<SegmentSourceLayout, 'dir'>): Promise<void> {
    await rm(this.dirOf(layout), { recursive: true, force: true });
  }

  /** The absolute directory of a session's segments (a safe id directly under the root). */
  dirOf(layout: Pick<SegmentSourceLayout, 'dir'>): string {
    return safeJoin(this.root, assertSafeId(layout.dir, 'segmentDir'));
  }
}
