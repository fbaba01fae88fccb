import { basename, dirname, join } from 'node:path';
import { createMemoryStores, ReplayBufferManager } from '@livekit-replay/core';
import type { ClipJob, ClipOutcome } from './algorithms.js';

/** What the end-to-end save needs to find the buffer like the manager does. */
export interface CaptureTarget {
  /** Directory holding the segments (its name becomes the session's segment directory). */
  dir: string;
  filenamePrefix: string;
  playlistName: string;
  livePlaylistName: string;
  segmentSeconds: number;
}

interface Prepared {
  manager: ReplayBufferManager;
  sessionId: string;
  userId: string;
}

const prepared = new Map<string, Promise<Prepared>>();

/**
 * A manager (in-memory stores, local clip storage in the job's work directory) with one
 * stopped session whose segment directory is the fixture: a save on it reads the index,
 * reserves quota, cuts, writes the poster, stores the clip and records it, as in production.
 * A stopped session is used so no LiveKit server has to confirm the egress.
 */
function prepare(target: CaptureTarget, workDir: string): Promise<Prepared> {
  const key = `${target.dir}\u0000${workDir}`;
  let entry = prepared.get(key);
  if (!entry) {
    entry = (async () => {
      const stores = createMemoryStores();
      const manager = new ReplayBufferManager({
        config: {
          livekit: { url: 'http://127.0.0.1:9', apiKey: 'bench-key', apiSecret: 'bench-secret-bench-secret' },
          segmentsDir: dirname(target.dir),
          clipsDir: join(workDir, 'capture-clips'),
          retainAfterStopSeconds: 7 * 24 * 3600,
          defaultQuotaBytes: 1024 ** 4,
          segmentDurationSeconds: target.segmentSeconds,
        },
        stores,
        coordination: { rateLimiter: false },
      });
      const sessionId = 'ses_bench_capture';
      const userId = 'bench-user';
      await stores.sessions.create({
        id: sessionId,
        userId,
        roomName: 'bench-room',
        videoTrackId: 'TR_video',
        audioTrackId: 'TR_audio',
        communityId: null,
        channelId: null,
        quality: '1080p',
        egressId: 'EG_bench_capture',
        segmentDir: basename(target.dir),
        filenamePrefix: target.filenamePrefix,
        playlistName: target.playlistName,
        livePlaylistName: target.livePlaylistName,
        segmentNaming: 'INDEX',
        segmentDurationSeconds: target.segmentSeconds,
      });
      await stores.sessions.transition(sessionId, ['starting'], 'stopped', {
        endedAt: new Date(),
        endReason: 'user',
      });
      return { manager, sessionId, userId };
    })();
    prepared.set(key, entry);
  }
  return entry;
}

/** `captureReplay({ durationSeconds })` end to end, then the clip is deleted again. */
export async function captureViaManager(job: ClipJob, target: CaptureTarget): Promise<ClipOutcome> {
  const { manager, sessionId, userId } = await prepare(target, job.workDir);
  const clip = await manager.captureReplay({
    sessionId,
    userId,
    durationSeconds: Math.round((job.endMs - job.startMs) / 1000),
    mode: 'accurate',
  });
  await manager.deleteClip({ clipId: clip.id, userId });
  return { sizeBytes: clip.sizeBytes, sha256: clip.sha256 };
}
