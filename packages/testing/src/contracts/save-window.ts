/**
 * Where a saved clip sits in wall-clock time, checked against the clock of the test itself.
 * The product's headline promise is "the clip ends at the moment you pressed save": comparing a
 * clip with its own `requestedEnd` cannot catch a save that ends seconds early (both move
 * together), so these helpers compare against instants the test measured or chose.
 *
 * Shared by every live save path (`captureReplay`, and `streamReplay` once it exists): time the
 * call with `timePress`, read the frame stamps, then call `expectLiveSaveEndsAtPress`.
 */
import { expect } from 'vitest';

/** The wall-clock interval (epoch ms) during which a save request was in flight. */
export interface PressInterval {
  beforeMs: number;
  afterMs: number;
}

/** Runs `save` and records the wall clock just before the call and just after it settles. */
export async function timePress<T>(save: () => Promise<T>): Promise<{ result: T; press: PressInterval }> {
  const beforeMs = Date.now();
  const result = await save();
  return { result, press: { beforeMs, afterMs: Date.now() } };
}

/**
 * A live save ("the last N seconds") ends at the press: the requested end, and the end of the
 * last frame (its stamp plus one frame), lie inside the interval the request was in flight,
 * within one frame. Its first frame is `durationMs` before that end, within one frame.
 */
export function expectLiveSaveEndsAtPress(options: {
  press: PressInterval;
  requestedEndMs: number;
  /** Wall-clock stamps of the clip's frames, in presentation order (readFrameStamps). */
  frameStampsMs: readonly number[];
  frameMs: number;
  /** The requested length, when the save asked for one. */
  durationMs?: number;
}): void {
  const { press, requestedEndMs, frameStampsMs, frameMs } = options;
  expect(frameStampsMs.length, 'the clip has frames').toBeGreaterThan(0);
  const lastFrameEnd = frameStampsMs.at(-1)! + frameMs;
  const low = press.beforeMs - frameMs;
  const high = press.afterMs + frameMs;
  const where = `press interval [${press.beforeMs}, ${press.afterMs}]`;
  expect(requestedEndMs, `requested end ${requestedEndMs} within ${where}`).toBeGreaterThanOrEqual(low);
  expect(requestedEndMs, `requested end ${requestedEndMs} within ${where}`).toBeLessThanOrEqual(high);
  expect(lastFrameEnd, `last frame end ${lastFrameEnd} within ${where}`).toBeGreaterThanOrEqual(low);
  expect(lastFrameEnd, `last frame end ${lastFrameEnd} within ${where}`).toBeLessThanOrEqual(high);
  if (options.durationMs !== undefined) {
    const first = frameStampsMs[0]!;
    expect(Math.abs(first - (requestedEndMs - options.durationMs))).toBeLessThanOrEqual(frameMs);
  }
}

/**
 * A range save shows exactly the requested instants: the first frame is stamped at the
 * requested start and the last frame ends at the requested end, each within one frame. The
 * instants are the ones the test sent, not the ones the clip reports.
 */
export function expectRangeSaveShows(options: {
  startMs: number;
  endMs: number;
  frameStampsMs: readonly number[];
  frameMs: number;
}): void {
  const { startMs, endMs, frameStampsMs, frameMs } = options;
  expect(frameStampsMs.length, 'the clip has frames').toBeGreaterThan(0);
  const first = frameStampsMs[0]!;
  const lastFrameEnd = frameStampsMs.at(-1)! + frameMs;
  expect(Math.abs(first - startMs), `first frame ${first} vs requested start ${startMs}`).toBeLessThanOrEqual(
    frameMs,
  );
  expect(
    Math.abs(lastFrameEnd - endMs),
    `last frame end ${lastFrameEnd} vs requested end ${endMs}`,
  ).toBeLessThanOrEqual(frameMs);
}
