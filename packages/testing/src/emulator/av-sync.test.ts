import { SegmentedFileOutput } from '@livekit/protocol';
import { resolveFfmpegPath, runMedia } from '@livekit-replay/core/adapter';
import { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFrameStamps } from '../frame-stamp.js';
import { type EgressEmulator, startEgressEmulator } from './emulator.js';
import { probeStreams } from './test-helpers.js';

async function decode(path: string, args: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await runMedia({
    binary: resolveFfmpegPath(),
    args: ['-v', 'error', '-i', path, ...args, 'pipe:1'],
    stdout: async (stream) => {
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    },
  });
  return Buffer.concat(chunks);
}

describe('egress emulator: A/V sync markers', () => {
  let emu: EgressEmulator;
  beforeAll(async () => {
    emu = await startEgressEmulator({ maxFrameRate: 10, maxHeight: 180, historySeconds: 6 });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('beeps exactly at each wall-clock second and flashes the first frame at or after it', async () => {
    const client = new EgressClient(emu.url, emu.apiKey, emu.apiSecret);
    const { egressId } = await client.startTrackCompositeEgress(
      'room-av',
      new SegmentedFileOutput({ filenamePrefix: 'av/seg', segmentDuration: 4 }),
      { videoTrackId: 'v', audioTrackId: 'a' },
    );
    const [seg] = await emu.waitForSegments(egressId, 1);
    await client.stopEgress(egressId);
    await emu.waitForEnd(egressId);
    if (!seg) throw new Error('no segment');

    const streams = await probeStreams(seg.path);
    const videoStart = Number(streams.find((s) => s.codec_type === 'video')?.start_time);
    const audioStart = Number(streams.find((s) => s.codec_type === 'audio')?.start_time);
    // Audio sample i plays at wall time pdt + (audioStart − videoStart) + i / 48000.
    const pcm = await decode(seg.path, ['-map', '0:a', '-ac', '1', '-ar', '48000', '-f', 's16le']);
    const onsets: number[] = [];
    let quietRun = 0;
    for (let i = 0; i < pcm.length / 2; i++) {
      const loud = Math.abs(pcm.readInt16LE(i * 2)) > 3000;
      if (loud && quietRun > 2400)
        onsets.push(seg.pdtMs + (audioStart - videoStart) * 1000 + (i * 1000) / 48000);
      quietRun = loud ? 0 : quietRun + 1;
    }
    expect(onsets.length).toBeGreaterThanOrEqual(3);
    for (const t of onsets) {
      const offset = ((t % 1000) + 1000) % 1000;
      // The first loud sample of a 1 kHz sine is within a quarter period of the second.
      expect(Math.min(offset, 1000 - offset)).toBeLessThan(2);
    }

    // Mean luma per frame (bottom half, away from the stamp strip) finds the flashes.
    const luma = await decode(seg.path, [
      '-map',
      '0:v',
      '-vf',
      'crop=iw:ih/2:0:ih/2,scale=1:1,format=gray',
      '-f',
      'rawvideo',
    ]);
    const stamps = await readFrameStamps(seg.path, { referenceMs: seg.pdtMs });
    expect(stamps.length).toBe(luma.length);
    const flashes = stamps.filter((_, i) => (luma[i] ?? 0) > 235);
    expect(flashes.length).toBeGreaterThanOrEqual(3);
    for (const stamp of flashes) expect(stamp % 1000).toBeLessThan(100);
    // Every whole second inside the segment has exactly one flash frame.
    const seconds = new Set(flashes.map((s) => Math.floor(s / 1000)));
    expect(seconds.size).toBe(flashes.length);
  });
});
