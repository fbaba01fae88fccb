import { ReplayBufferError, ReplayErrorCode } from '../../errors.js';
import type { Edit, TrackTables } from './mp4-boxes.js';

/** Sample tables of one track as the remux appends to it (decode positions in media ticks). */
export class SampleTrack {
  readonly sizes: number[] = [];
  readonly positions: number[] = [];
  readonly compositionOffsets: number[] = [];
  readonly syncSamples: number[] = [];
  readonly chunkOffsets: number[] = [];
  readonly chunkSamples: number[] = [];

  get count(): number {
    return this.sizes.length;
  }

  get lastPosition(): number | undefined {
    return this.positions.at(-1);
  }

  add(size: number, position: number, compositionOffset: number, sync: boolean): void {
    this.sizes.push(size);
    this.positions.push(position);
    this.compositionOffsets.push(compositionOffset);
    if (sync) this.syncSamples.push(this.sizes.length);
  }

  chunk(offset: number, samples: number): void {
    if (samples === 0) return;
    this.chunkOffsets.push(offset);
    this.chunkSamples.push(samples);
  }

  tables(
    base: Pick<TrackTables, 'id' | 'handler' | 'timescale' | 'sampleEntry' | 'width' | 'height'>,
    lastDuration: number,
    edits: Edit[],
  ): TrackTables {
    const durations = this.positions.map((p, i) => (this.positions[i + 1] ?? p + lastDuration) - p);
    if (durations.some((d) => d <= 0)) {
      throw new ReplayBufferError(
        ReplayErrorCode.MEDIA_ERROR,
        'The segments’ timestamps go backwards; the clip cannot be assembled',
      );
    }
    return {
      ...base,
      sizes: this.sizes,
      durations,
      compositionOffsets: this.compositionOffsets.some((o) => o !== 0) ? this.compositionOffsets : null,
      syncSamples: this.syncSamples.length === this.sizes.length ? null : this.syncSamples,
      chunkOffsets: this.chunkOffsets,
      chunkSamples: this.chunkSamples,
      edits,
    };
  }
}
