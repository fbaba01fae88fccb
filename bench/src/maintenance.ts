import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ReplayBufferManager, type SessionStore } from '@livekit-replay/core';
import { newId, readSegmentIndex } from '@livekit-replay/core/adapter';
import { renderPlaylist } from '@livekit-replay/testing';
import type { Measured } from './lifecycle.js';
import { openStore, type StoreKind } from './stores.js';
import { errorMessage, log, median, nowMs } from './util.js';

export interface SweepResult {
  kind: StoreKind;
  description: string;
  sessions: number;
  segmentsPerSession: number;
  /** First sweep: reads every index and deletes the segments past the window. */
  seconds: number;
  segmentsDeleted: number;
  /** `readSegmentIndex` of every session alone, right after (what every pass pays). */
  steadySeconds: number;
  errors: number;
}

export interface ListResult {
  kind: StoreKind;
  description: string;
  sessions: number;
  /** Median of 3 `listByStatus(['starting', 'active'])` calls (the sweep's one store read), ms. */
  medianMs: number;
}

export interface SweepBench {
  /** Time to lay out the files (not part of the sweep). */
  setupSeconds: number;
  results: Array<Measured<SweepResult>>;
  /** The store's part of a sweep, per store. */
  listings: Array<Measured<ListResult>>;
}

const SEGMENT_BYTES = 1024;
const SEGMENT_SECONDS = 2;

/**
 * `cleanupOldSegments()` over `sessions` live sessions × `segments` 1 KiB segment files each
 * (LiveKit names and playlists, the newest segment ending now). The buffer is configured to
 * 9 minutes + 30 s grace, so the oldest ~14 segments of each session fall outside the window
 * and are deleted: a steady-state sweep. Between stores, the deleted files are recreated.
 */
export async function benchSweep(options: {
  /** Stores to run the whole sweep with (files recreated between them). */
  kinds: StoreKind[];
  /** Stores whose listing of the live sessions is timed (the store's share of a sweep). */
  listKinds: StoreKind[];
  sessions: number;
  segments: number;
  workRoot: string;
}): Promise<SweepBench> {
  await mkdir(options.workRoot, { recursive: true });
  const root = await mkdtemp(join(options.workRoot, 'sweep-'));
  const segmentsDir = join(root, 'segments');
  const payload = Buffer.alloc(SEGMENT_BYTES, 0x47);
  try {
    const layoutStarted = nowMs();
    const now = Date.now();
    const ids = Array.from({ length: options.sessions }, () => newId('ses'));
    const names = Array.from(
      { length: options.segments },
      (_, i) => `replay_${String(i).padStart(5, '0')}.ts`,
    );
    const entriesAt = (endMs: number) =>
      names.map((name, i) => ({
        name,
        pdtMs: endMs - (options.segments - i) * SEGMENT_SECONDS * 1000,
        durationS: SEGMENT_SECONDS,
      }));
    let entries = entriesAt(now);
    // Playlists as LiveKit writes them, the newest segment ending at `endMs`.
    const writePlaylists = async (endMs: number) => {
      entries = entriesAt(endMs);
      const first = entries.length - 5;
      const main = renderPlaylist(entries, {
        targetDuration: 2,
        mediaSequence: 0,
        event: true,
        ended: false,
      });
      const live = renderPlaylist(entries.slice(first), {
        targetDuration: 2,
        mediaSequence: first,
        event: false,
        ended: false,
      });
      for (const id of ids) {
        await writeFile(join(segmentsDir, id, 'replay.m3u8'), main);
        await writeFile(join(segmentsDir, id, 'replay-live.m3u8'), live);
      }
    };
    const writeSegments = async (id: string, which: string[]) => {
      const dir = join(segmentsDir, id);
      await mkdir(dir, { recursive: true });
      await Promise.all(which.map((name) => writeFile(join(dir, name), payload)));
    };
    for (const [n, id] of ids.entries()) {
      await writeSegments(id, names);
      if (n % 200 === 199) log(`  sweep fixture: ${n + 1}/${ids.length} session directories`);
    }
    await writePlaylists(now);
    const setupSeconds = (nowMs() - layoutStarted) / 1000;

    const results: SweepBench['results'] = [];
    const listings: SweepBench['listings'] = [];
    const addSessions = async (sessions: SessionStore) => {
      for (const [i, id] of ids.entries()) {
        await sessions.create({
          id,
          userId: `sweep-user-${i}`,
          roomName: `sweep-room-${i}`,
          videoTrackId: 'TR_video',
          audioTrackId: null,
          communityId: null,
          channelId: null,
          quality: '1080p',
          egressId: `EG_sweep${String(i).padStart(6, '0')}`,
          segmentDir: id,
          filenamePrefix: 'replay',
          playlistName: 'replay.m3u8',
          livePlaylistName: 'replay-live.m3u8',
          segmentNaming: 'INDEX',
          segmentDurationSeconds: SEGMENT_SECONDS,
        });
        await sessions.transition(id, ['starting'], 'active', {
          startedAt: new Date(entries[0]!.pdtMs),
        });
      }
    };
    for (const kind of options.listKinds) {
      const opened = await openStore(kind);
      if ('error' in opened) {
        listings.push(opened);
        continue;
      }
      try {
        await addSessions(opened.sessions);
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          const started = nowMs();
          const live = await opened.sessions.listByStatus(['starting', 'active']);
          times.push(nowMs() - started);
          if (live.length !== ids.length) throw new Error(`listed ${live.length} of ${ids.length} sessions`);
        }
        listings.push({
          kind,
          description: opened.description,
          sessions: ids.length,
          medianMs: median(times),
        });
        log(`  list ${kind}: ${median(times).toFixed(1)} ms for ${ids.length} live sessions`);
      } catch (error) {
        listings.push({ kind, error: errorMessage(error) });
      } finally {
        await opened.close().catch(() => {});
      }
    }
    for (const kind of options.kinds) {
      const opened = await openStore(kind);
      if ('error' in opened) {
        results.push(opened);
        continue;
      }
      try {
        await addSessions(opened.sessions);
        const manager = new ReplayBufferManager({
          config: {
            livekit: {
              url: 'http://127.0.0.1:9',
              apiKey: 'bench-key',
              apiSecret: 'bench-secret-bench-secret',
            },
            segmentsDir,
            clipsDir: join(root, 'clips'),
            bufferDurationSeconds: 9 * 60,
            segmentGraceSeconds: 30,
          },
          stores: { sessions: opened.sessions },
          coordination: { rateLimiter: false },
        });
        // Same window for every store: the newest segment ends now.
        await writePlaylists(Date.now());
        const readIndex = (id: string) =>
          readSegmentIndex({
            dir: join(segmentsDir, id),
            filenamePrefix: 'replay',
            playlistName: 'replay.m3u8',
            livePlaylistName: 'replay-live.m3u8',
            naming: 'INDEX',
            segmentDurationSeconds: SEGMENT_SECONDS,
          });
        // Warm-up (JIT, directory caches) on a few sessions, outside the timing.
        for (const id of ids.slice(0, 20)) await readIndex(id);
        let started = nowMs();
        const sweep = await manager.cleanupOldSegments();
        const seconds = (nowMs() - started) / 1000;
        // The index reads alone (no deletion): the part of a sweep that every pass pays.
        started = nowMs();
        for (const id of ids) await readIndex(id);
        const steadySeconds = (nowMs() - started) / 1000;
        log(
          `  sweep ${kind}: ${seconds.toFixed(2)} s, ${sweep.segmentsDeleted} segments deleted; index reads alone ${steadySeconds.toFixed(2)} s`,
        );
        results.push({
          kind,
          description: opened.description,
          sessions: ids.length,
          segmentsPerSession: names.length,
          seconds,
          segmentsDeleted: sweep.segmentsDeleted,
          steadySeconds,
          errors: sweep.errors.length,
        });
        // Put the deleted segments back for the next store.
        for (const id of ids) {
          const missing: string[] = [];
          for (const name of names) {
            try {
              await stat(join(segmentsDir, id, name));
            } catch {
              missing.push(name);
            }
          }
          if (missing.length) await writeSegments(id, missing);
        }
      } catch (error) {
        results.push({ kind, error: errorMessage(error) });
      } finally {
        await opened.close().catch(() => {});
      }
    }
    return { setupSeconds, results, listings };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
