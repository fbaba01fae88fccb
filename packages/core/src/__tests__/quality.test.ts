import { AudioCodec } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { encodingOptionsFor, qualitySpec, sourceMatchedSpec } from '../livekit/quality.js';

describe('quality presets', () => {
  it('maps named presets to LiveKit-like sizes and bitrates', () => {
    expect(qualitySpec('720p')).toMatchObject({ width: 1280, height: 720, videoBitrate: 3000 });
    expect(qualitySpec('1080p')).toMatchObject({ width: 1920, height: 1080, videoBitrate: 4500 });
    expect(qualitySpec('1440p')).toMatchObject({ width: 2560, height: 1440 });
  });

  it('sizes source-matched bitrate as w×h×5 bit/s clamped to 3–20 Mbit/s', () => {
    expect(sourceMatchedSpec({ width: 1920, height: 1080 }).videoBitrate).toBe(10_368);
    expect(sourceMatchedSpec({ width: 800, height: 600 }).videoBitrate).toBe(3000);
    expect(sourceMatchedSpec({ width: 3840, height: 2160 }).videoBitrate).toBe(20_000);
  });

  it('rounds odd source sizes down to even and caps at 4K', () => {
    expect(sourceMatchedSpec({ width: 1367, height: 769 })).toMatchObject({ width: 1366, height: 768 });
    expect(sourceMatchedSpec({ width: 7680, height: 4320 })).toMatchObject({ width: 3840, height: 2160 });
  });

  it('always asks for AAC audio and a keyframe per segment', () => {
    const options = encodingOptionsFor('1080p', 2);
    expect(options.audioCodec).toBe(AudioCodec.AAC);
    expect(options.keyFrameInterval).toBe(2);
  });

  it('refuses source quality without dimensions', () => {
    expect(() => qualitySpec('source')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
