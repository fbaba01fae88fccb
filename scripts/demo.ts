/**
 * The main job until the reference app exists: emulator → replay buffer → ~40 s of recording →
 * a 30 s clip, printed with its path, probed duration, size and checksum.
 *
 * Everything is real except LiveKit itself: the real livekit-server-sdk talks HTTP to the
 * egress emulator, which encodes with ffmpeg and writes LiveKit-format HLS segments.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createMemoryStores, ReplayBufferManager } from '@livekit-replay/core';
import { startEgressEmulator } from '@livekit-replay/testing';

const RECORD_SECONDS = Number(process.env.DEMO_RECORD_SECONDS ?? 40);
const CLIP_SECONDS = Number(process.env.DEMO_CLIP_SECONDS ?? 30);
const dataDir = path.resolve(process.env.DEMO_DATA_DIR ?? '.demo-data');
const segmentsDir = path.join(dataDir, 'segments');
const clipsDir = path.join(dataDir, 'clips');

const log = (message: string) => console.log(`[demo] ${message}`);

async function main(): Promise<void> {
  await mkdir(segmentsDir, { recursive: true });
  const emulator = await startEgressEmulator({ segmentsRoot: segmentsDir });
  log(`LiveKit egress emulator on ${emulator.url}`);

  // In-memory stores on purpose: a one-process demo (production passes durable ones).
  const stores = createMemoryStores();
  const replay = new ReplayBufferManager({
    config: {
      livekit: { url: emulator.url, apiKey: emulator.apiKey, apiSecret: emulator.apiSecret },
      segmentsDir,
      clipsDir,
      defaultQuality: '720p',
    },
    stores,
  });
  replay.on('error', (error, context) =>
    log(`background error (${context?.operation ?? 'unknown'}): ${error.message}`),
  );

  try {
    const session = await replay.startReplayBuffer({
      userId: 'demo-user',
      roomName: 'demo-room',
      videoTrackId: 'TR_demo_screen',
      audioTrackId: 'TR_demo_audio',
    });
    log(`replay buffer ${session.id} started (egress ${session.egressId}); recording ${RECORD_SECONDS} s…`);

    for (let elapsed = 0; elapsed < RECORD_SECONDS; elapsed += 10) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, RECORD_SECONDS - elapsed) * 1000));
      const status = await replay.getBufferStatus({ userId: 'demo-user' });
      log(
        `  buffered ${(status?.bufferedSeconds ?? 0).toFixed(1)} s${status?.warmingUp ? ' (warming up)' : ''}`,
      );
    }

    log(`saving the last ${CLIP_SECONDS} s…`);
    const started = performance.now();
    const clip = await replay.captureReplay({
      sessionId: session.id,
      userId: 'demo-user',
      durationSeconds: CLIP_SECONDS,
    });
    const tookMs = performance.now() - started;

    await replay.stopReplayBuffer({ userId: 'demo-user' });
    const stored = await stores.clips.get(clip.id);
    log('clip saved:');
    console.log(
      JSON.stringify(
        {
          path: path.join(clipsDir, stored?.storageKey ?? ''),
          requestedSeconds: CLIP_SECONDS,
          probedDurationSeconds: clip.durationSeconds,
          durationErrorSeconds: Number((clip.durationSeconds - CLIP_SECONDS).toFixed(3)),
          sizeBytes: clip.sizeBytes,
          sha256: clip.sha256,
          resolution: `${clip.width}x${clip.height}`,
          saveTookMs: Math.round(tookMs),
        },
        null,
        2,
      ),
    );
  } finally {
    await emulator.close();
  }
}

main().catch((error) => {
  console.error('[demo] failed:', error);
  process.exit(1);
});
