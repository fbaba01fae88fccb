import { type PublicSession, toPublicSession } from '../events.js';
import { estimateClipBytes } from './capture.js';
import type { ManagerContext } from './context.js';
import { parseInput, sessionAccessSchema } from './inputs.js';
import { isLive, loadOwnedSession, readSessionIndex } from './session-lifecycle.js';

/** Save lengths the capture modal offers, seconds. */
export const CAPTURE_PRESETS_SECONDS = [60, 120, 300, 600] as const;

export interface BufferStatus {
  session: PublicSession;
  /** Live, but nothing saveable recorded yet. */
  warmingUp: boolean;
  /** A save is possible right now. */
  canCapture: boolean;
  bufferStartMs: number | null;
  bufferEndMs: number | null;
  bufferedSeconds: number;
  /** Missing stretches inside the buffer. */
  gapCount: number;
  /** Estimated clip size per preset length, from the measured bitrate (bytes). */
  sizeEstimates: Array<{ seconds: number; available: boolean; bytes: number }>;
}

/** What the capture modal needs: is a save possible, how much is buffered, how big would it be. */
export async function getBufferStatus(
  ctx: ManagerContext,
  raw: { sessionId: string; userId: string },
): Promise<BufferStatus> {
  const input = parseInput(sessionAccessSchema, raw, 'status request');
  const session = await loadOwnedSession(ctx, input.sessionId, input.userId);
  const snapshot = await readSessionIndex(ctx, session);
  const buffered =
    snapshot.startMs !== null && snapshot.endMs !== null ? (snapshot.endMs - snapshot.startMs) / 1000 : 0;
  const retained =
    isLive(session) ||
    (session.endedAt !== null &&
      Date.now() - session.endedAt.getTime() <= ctx.config.retainAfterStopSeconds * 1000);
  return {
    session: toPublicSession(session),
    warmingUp: isLive(session) && snapshot.segments.length === 0,
    canCapture: retained && snapshot.segments.length > 0,
    bufferStartMs: snapshot.startMs,
    bufferEndMs: snapshot.endMs,
    bufferedSeconds: buffered,
    gapCount: snapshot.gaps.length,
    sizeEstimates: CAPTURE_PRESETS_SECONDS.map((seconds) => ({
      seconds,
      available: buffered > 0,
      bytes: estimateClipBytes(snapshot, Math.min(seconds, buffered)),
    })),
  };
}
