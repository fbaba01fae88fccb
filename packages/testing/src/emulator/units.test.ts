import { SegmentedFileOutput, SegmentedFileSuffix, TrackCompositeEgressRequest } from '@livekit/protocol';
import { EncodingOptions, EncodingOptionsPreset } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { resolveEncoding } from './encoding.js';
import { boundaryFrame, clockText, keyframeExpression } from './ffmpeg-args.js';
import { resolveSegmentLayout } from './layout.js';
import { renderPlaylist } from './playlist-writer.js';
import { timestampSuffix } from './util.js';

describe('emulator building blocks', () => {
  it('places keyframe boundaries around k·T so 30 fps durations read like 1.967 / 2.000 / 2.033', () => {
    const durations = new Set<string>();
    for (let k = 0; k < 50; k++) {
      const d = (boundaryFrame(k + 1, 60) - boundaryFrame(k, 60)) / 30;
      expect(Math.abs(d - 2)).toBeLessThanOrEqual(2 / 30 + 1e-9);
      durations.add(d.toFixed(3));
      expect(Math.abs(boundaryFrame(k, 60) - 60 * k)).toBeLessThanOrEqual(1);
    }
    expect(durations).toContain('1.967');
    expect(durations).toContain('2.033');
    expect(boundaryFrame(0, 60)).toBe(0);
    expect(keyframeExpression(60)).toMatch(/^expr:/);
  });

  it('resolves LiveKit output paths and defaults', () => {
    const now = Date.UTC(2026, 10, 21, 13, 45, 2, 133);
    const rel = resolveSegmentLayout(
      new SegmentedFileOutput({ filenamePrefix: 'a/b/seg' }),
      '/data',
      'room',
      now,
    );
    expect(rel).toMatchObject({
      dir: '/data/a/b',
      prefix: 'seg',
      playlistPath: '/data/a/b/seg.m3u8',
      segmentSeconds: 4,
    });
    expect(rel.livePlaylistPath).toBeUndefined();
    const abs = resolveSegmentLayout(
      new SegmentedFileOutput({
        filenamePrefix: '/abs/{room_name}/x',
        playlistName: 'index',
        livePlaylistName: 'live.m3u8',
        segmentDuration: 2,
        filenameSuffix: SegmentedFileSuffix.TIMESTAMP,
      }),
      '/data',
      'r1',
      now,
    );
    expect(abs).toMatchObject({
      dir: '/abs/r1',
      prefix: 'x',
      playlistPath: '/abs/r1/index.m3u8',
      livePlaylistPath: '/abs/r1/live.m3u8',
      segmentSeconds: 2,
      suffix: SegmentedFileSuffix.TIMESTAMP,
    });
    expect(resolveSegmentLayout(new SegmentedFileOutput({}), '/d', 'rm', now).prefix).toBe(
      'rm-2026-11-21T134502',
    );
    expect(timestampSuffix(now)).toBe('20261121134502133');
  });

  it('maps presets and advanced options to encoder settings', () => {
    const req = (options: TrackCompositeEgressRequest['options']) =>
      new TrackCompositeEgressRequest({ roomName: 'r', options });
    expect(
      resolveEncoding(req({ case: 'preset', value: EncodingOptionsPreset.H264_720P_30 }), {}),
    ).toMatchObject({
      width: 1280,
      height: 720,
      fps: 30,
      videoBitrateKbps: 3000,
    });
    expect(
      resolveEncoding(req({ case: 'preset', value: EncodingOptionsPreset.H264_1080P_30 }), {}),
    ).toMatchObject({
      width: 1920,
      height: 1080,
      fps: 30,
      videoBitrateKbps: 4500,
    });
    expect(resolveEncoding(req(undefined as never), { maxFrameRate: 10 })).toMatchObject({
      width: 1920,
      fps: 10,
      requestedFps: 30,
    });
    const adv = new EncodingOptions({ width: 800, height: 600, framerate: 24, videoBitrate: 2000 });
    expect(resolveEncoding(req({ case: 'advanced', value: adv }), { maxHeight: 300 })).toMatchObject({
      width: 512,
      height: 384,
      fps: 24,
      videoBitrateKbps: 2000,
    });
  });

  it('renders the LiveKit playlist layout', () => {
    const text = renderPlaylist(
      [
        { name: 'seg_00000.ts', pdtMs: Date.UTC(2026, 10, 21, 13, 45, 2, 133), durationS: 59 / 30 },
        { name: 'seg_00001.ts', pdtMs: Date.UTC(2026, 10, 21, 13, 45, 4, 100), durationS: 61 / 30 },
      ],
      { targetDuration: 2, mediaSequence: 0, event: true, ended: true },
    );
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:4',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PLAYLIST-TYPE:EVENT',
        '#EXT-X-ALLOW-CACHE:NO',
        '#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:45:02.133Z',
        '#EXTINF:1.967,',
        'seg_00000.ts',
        '#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:45:04.100Z',
        '#EXTINF:2.033,',
        'seg_00001.ts',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });
});

describe('readable wall clock', () => {
  it('draws UTC time with milliseconds when a font exists, and nothing without one', () => {
    const text = clockText(Date.UTC(2026, 10, 21, 14, 40, 58, 67), 720, [
      '/nonexistent.ttf',
      process.execPath,
    ]);
    expect(text).toContain(`fontfile=${process.execPath}`);
    expect(text).toContain('gmtime\\:1795272058.067');
    expect(text).toContain('floor((t+0.067)*1000)');
    expect(text).toContain('fontsize=30');
    expect(clockText(0, 720, ['/nonexistent.ttf'])).toBe('');
  });
});
