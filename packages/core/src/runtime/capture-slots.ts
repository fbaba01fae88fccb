import { ReplayBufferError, ReplayErrorCode } from '../errors.js';

/**
 * Bounds concurrent captures in this process. Refuses instead of queueing: a queued save
 * would end later than the moment the user asked for.
 */
export class CaptureSlots {
  private inUse = 0;

  constructor(private readonly capacity: number) {}

  get active(): number {
    return this.inUse;
  }

  /** Takes a slot or throws CAPTURE_BUSY; call the returned function exactly once to free it. */
  acquire(): () => void {
    if (this.inUse >= this.capacity) {
      throw new ReplayBufferError(
        ReplayErrorCode.CAPTURE_BUSY,
        `This server is already saving ${this.capacity} clip(s); try again in a few seconds`,
        { details: { capacity: this.capacity } },
      );
    }
    this.inUse++;
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.inUse--;
      }
    };
  }
}
