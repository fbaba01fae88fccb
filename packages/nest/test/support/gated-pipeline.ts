import type { MediaPipeline } from '@livekit-replay/core';
import {
  type CutRequest,
  type CutResult,
  FfmpegMediaPipeline,
  type SegmentReader,
} from '@livekit-replay/core/adapter';

/**
 * The real pipeline, with a switch: while `holdCuts` is on, a cut that has read its first
 * segment waits (up to `maxHoldMs`) for its request to be aborted before reading on. A test
 * can then disconnect in the middle of a cut however fast the in-process remux is.
 */
export class GatedPipeline implements MediaPipeline {
  holdCuts = false;
  /** What each held cut ended with: its result or its error. */
  readonly heldOutcomes: Array<CutResult | unknown> = [];
  private onHeld: (() => void) | null = null;

  constructor(
    private readonly inner = new FfmpegMediaPipeline(),
    private readonly maxHoldMs = 20_000,
  ) {}

  /** Resolves when the next held cut has read its first segment and is waiting. */
  nextCutHeld(): Promise<void> {
    return new Promise((resolve) => {
      this.onHeld = resolve;
    });
  }

  async cut(request: CutRequest): Promise<CutResult> {
    if (!this.holdCuts || !request.source) return this.inner.cut(request);
    const source = request.source;
    let opened = 0;
    const gated: SegmentReader = {
      local: false, // every segment is read through open(), so through the gate
      open: async (segment, options) => {
        if (opened++ === 1) {
          this.onHeld?.();
          await untilAborted(request.signal, this.maxHoldMs);
        }
        return source.open(segment, options);
      },
    };
    try {
      const result = await this.inner.cut({ ...request, source: gated });
      this.heldOutcomes.push(result);
      return result;
    } catch (error) {
      this.heldOutcomes.push(error);
      throw error;
    }
  }

  probe(file: string) {
    return this.inner.probe(file);
  }

  poster(input: string, output: string, atSeconds: number, width?: number) {
    return this.inner.poster(input, output, atSeconds, width);
  }
}

function untilAborted(signal: AbortSignal | undefined, maxMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, maxMs);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
