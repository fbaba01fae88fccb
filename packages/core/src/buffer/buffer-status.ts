import type { BufferStatusDto } from '../contract/schemas.js';
import { toPublicSession } from '../events.js';
import type { ManagerContext } from '../runtime/context.js';
import { currentSessionSchema, parseInput } from '../runtime/inputs.js';
import {
  findCurrentSession,
  isLive,
  isRetained,
  loadOwnedSession,
  readSessionIndex,
} from '../runtime/session-lifecycle.js';
import { estimateClipBytes } from '../segments/estimate.js';

/** Save lengths the capture modal offers, seconds. */
export const CAPTURE_PRESETS_SECONDS = [60, 120, 300, 600] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * What the capture modal needs: is a save possible, how much is buffered, how big would it be.
 * Without `sessionId`: the user's live buffer, else the newest one still kept; null when none.
 */
export async function getBufferStatus(
  ctx: ManagerContext,
  raw: { userId: string; sessionId?: string | undefined },
): Promise<BufferStatusDto | null> {
  const input = parseInput(currentSessionSchema, raw, 'status request');
  const session =
    input.sessionId === undefined
      ? await findCurrentSession(ctx, input.userId, { recent: true })
      : await loadOwnedSession(ctx, input.sessionId, input.userId);
  if (!session) return null;
  const snapshot = await readSessionIndex(ctx, session);
  const buffered =
    snapshot.startMs !== null && snapshot.endMs !== null ? (snapshot.endMs - snapshot.startMs) / 1000 : 0;
  return {
    session: toPublicSession(session),
    warmingUp: isLive(session) && snapshot.segments.length === 0,
    canCapture: isRetained(ctx, session) && snapshot.segments.length > 0,
    bufferStart: iso(snapshot.startMs),
    bufferEnd: iso(snapshot.endMs),
    bufferedSeconds: buffered,
    gapCount: snapshot.gaps.length,
    sizeEstimates: CAPTURE_PRESETS_SECONDS.map((seconds) => ({
      seconds,
      available: buffered > 0,
      bytes: estimateClipBytes(snapshot, Math.min(seconds, buffered)),
    })),
  };
}
