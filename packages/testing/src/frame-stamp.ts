import { resolveFfmpegPath, runMedia } from '@livekit-replay/core/adapter';

/**
 * A wall-clock stamp burnt into every frame as a strip of black/white blocks, so a test can
 * read back which instant a decoded frame shows, after any encode, cut or remux.
 *
 * Layout: 32 blocks of BLOCK×BLOCK pixels along the top-left edge; block b (left to right)
 * is bit b of (wall-clock milliseconds mod 2^32). A reader resolves the wrap with a
 * reference time near the recording.
 */
export const STAMP_BITS = 32;
export const STAMP_BLOCK = 16;
export const STAMP_WIDTH = STAMP_BITS * STAMP_BLOCK;
export const STAMP_HEIGHT = STAMP_BLOCK;
const WRAP = 2 ** STAMP_BITS;

/**
 * ffmpeg filtergraph fragment that overlays the stamp on `[inputLabel]` and names the
 * result `[outputLabel]`. Frame N shows floor(originMs + N·1000/fps).
 */
export function frameStampFilter(options: {
  originMs: number;
  fps: number;
  inputLabel: string;
  outputLabel: string;
}): string {
  const { originMs, fps, inputLabel, outputLabel } = options;
  const origin = Math.floor(originMs) % WRAP;
  const value = `mod(floor(${origin}+N*1000/${fps})\\,${WRAP})`;
  const bit = `mod(floor(${value}/pow(2\\,floor(X/${STAMP_BLOCK})))\\,2)`;
  return (
    `color=c=black:s=${STAMP_WIDTH}x${STAMP_HEIGHT}:r=${fps},format=gray,` +
    `geq=lum='255*${bit}'[stamp_strip];` +
    `[${inputLabel}][stamp_strip]overlay=0:0:shortest=1:eof_action=pass[${outputLabel}]`
  );
}

/** Decodes one frame's strip (STAMP_WIDTH×STAMP_HEIGHT 8-bit gray) into ms mod 2^32. */
export function decodeStampStrip(gray: Uint8Array): number {
  let value = 0;
  const margin = STAMP_BLOCK / 4;
  for (let b = 0; b < STAMP_BITS; b++) {
    let sum = 0;
    let count = 0;
    for (let y = margin; y < STAMP_BLOCK - margin; y++) {
      for (let x = b * STAMP_BLOCK + margin; x < (b + 1) * STAMP_BLOCK - margin; x++) {
        sum += gray[y * STAMP_WIDTH + x] ?? 0;
        count++;
      }
    }
    if (sum / count > 128) value += 2 ** b;
  }
  return value;
}

/** Picks the epoch ms closest to `referenceMs` whose value mod 2^32 is `wrapped`. */
export function unwrapStamp(wrapped: number, referenceMs: number): number {
  const base = referenceMs - (referenceMs % WRAP);
  const candidates = [base - WRAP + wrapped, base + wrapped, base + WRAP + wrapped];
  return candidates.reduce((best, c) =>
    Math.abs(c - referenceMs) < Math.abs(best - referenceMs) ? c : best,
  );
}

/**
 * Decodes every frame of a video and returns each frame's stamped wall-clock time (epoch ms),
 * in presentation order. `referenceMs` is any instant within ~24 days of the recording.
 */
export async function readFrameStamps(
  videoPath: string,
  options: { referenceMs: number; ffmpegPath?: string },
): Promise<number[]> {
  const ffmpeg = resolveFfmpegPath(options.ffmpegPath);
  const args = [
    '-v',
    'error',
    '-i',
    videoPath,
    '-map',
    '0:v:0',
    '-vf',
    `crop=${STAMP_WIDTH}:${STAMP_HEIGHT}:0:0,format=gray`,
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    'pipe:1',
  ];
  const frameBytes = STAMP_WIDTH * STAMP_HEIGHT;
  const stamps: number[] = [];
  let pending: Buffer = Buffer.alloc(0);
  await runMedia({
    binary: ffmpeg,
    args,
    timeoutMs: 300_000,
    stdout: async (stream) => {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        while (pending.length >= frameBytes) {
          stamps.push(unwrapStamp(decodeStampStrip(pending.subarray(0, frameBytes)), options.referenceMs));
          pending = pending.subarray(frameBytes);
        }
      }
    },
  });
  return stamps;
}
