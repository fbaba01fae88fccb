import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** LiveKit-style id: a prefix plus 12 base62 characters (`EG_MU4QwhXUhWf9`). */
export function livekitId(prefix: 'EG_' | 'RM_' | 'EV_'): string {
  const bytes = randomBytes(12);
  let out = prefix;
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** `YYYYMMDDhhmmssmmm` in UTC, LiveKit's TIMESTAMP segment suffix. */
export function timestampSuffix(ms: number): string {
  const d = new Date(Math.floor(ms));
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}${p(d.getUTCMilliseconds(), 3)}`
  );
}

/** Nanoseconds since the epoch as the bigint LiveKit's protobuf timestamps use. */
export function nsFromMs(ms: number): bigint {
  return BigInt(Math.floor(ms)) * 1_000_000n;
}

/** Small seeded PRNG (mulberry32) so probabilistic faults are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
