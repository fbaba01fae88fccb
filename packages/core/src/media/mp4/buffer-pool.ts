/**
 * Reuses the few large buffers a remux needs at a time (a segment being parsed, the next one
 * being read, the previous one being written). A fresh multi-megabyte buffer per segment is
 * external memory V8 answers with full garbage collections: measured at a third of a save's CPU.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  /** A buffer of exactly `size` bytes over pooled memory; give it back with `release`. */
  take(size: number): Buffer {
    const index = this.free.findIndex((b) => b.byteLength >= size);
    const memory = index >= 0 ? this.free.splice(index, 1)[0]! : new ArrayBuffer(Math.ceil(size * 1.25));
    return Buffer.from(memory, 0, size);
  }

  release(buffer: Buffer): void {
    if (this.free.length < 8) this.free.push(buffer.buffer as ArrayBuffer);
  }
}

/** Hands out consecutive slices of one buffer (then fresh ones once it is full). */
export class Arena {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}

  alloc(size: number): Buffer {
    if (this.at + size > this.buffer.length) return Buffer.allocUnsafe(size);
    const slice = this.buffer.subarray(this.at, this.at + size);
    this.at += size;
    return slice;
  }
}
