/** Pure parts of the clip library: Range headers, the File-model record, the preview playlist and its time mapping. */
import { describe, expect, it } from 'vitest';
import { parseRangeHeader } from '../../library/clip-files.js';
import { toFileRecord } from '../../library/file-record.js';
import {
  buildPreviewPlaylist,
  previewTimeToWallClock,
  wallClockToPreviewTime,
} from '../../preview/playlist.js';
import type { Segment } from '../../segments/types.js';
import type { ClipRecord } from '../../types.js';

describe('parseRangeHeader', () => {
  it.each([
    ['bytes=0-499', { start: 0, end: 499 }],
    ['bytes=500-999', { start: 500, end: 999 }],
    ['bytes=500-', { start: 500, end: 999 }],
    ['bytes=-200', { start: 800, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=900-5000', { start: 900, end: 999 }],
    ['BYTES = 1-1', { start: 1, end: 1 }],
    ['bytes=999-999', { start: 999, end: 999 }],
  ])('%s of 1000 bytes → %o', (header, range) => {
    expect(parseRangeHeader(header, 1000)).toEqual(range);
  });

  it.each([undefined, null, '', 'bytes=', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=a-b', 'bytes=5-1'])(
    'serves the whole file for %o',
    (header) => {
      expect(parseRangeHeader(header, 1000)).toBeNull();
    },
  );

  it.each([
    ['bytes=1000-', 1000],
    ['bytes=2000-3000', 1000],
    ['bytes=-0', 1000],
    ['bytes=0-0', 0],
    ['bytes=-1', 0],
  ])('%s of %i bytes is not satisfiable (416)', (header, size) => {
    let thrown: unknown;
    try {
      parseRangeHeader(header, size);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'RANGE_NOT_SATISFIABLE',
      status: 416,
      details: { sizeBytes: size },
    });
  });
});

function clip(overrides: Partial<ClipRecord> = {}): ClipRecord {
  const start = new Date('2026-11-21T13:45:07.250Z');
  return {
    id: 'clip_abc',
    ownerId: 'user-1',
    sessionId: 'rs_1',
    communityId: null,
    roomName: 'room',
    channelId: 'chan',
    requestedStart: start,
    requestedEnd: new Date(start.getTime() + 10_000),
    actualStart: start,
    actualEnd: new Date(start.getTime() + 10_000),
    durationSeconds: 10,
    sizeBytes: 12345,
    sha256: 'a'.repeat(64),
    mimeType: 'video/mp4',
    width: 1280,
    height: 720,
    visibility: 'private',
    storageKey: 'clips/clip_abc.mp4',
    posterKey: 'posters/clip_abc.jpg',
    title: null,
    metadata: { clampedStart: false, clampedEnd: false, gaps: [], cutMode: 'accurate', segmentCount: 5 },
    createdAt: new Date('2026-11-21T13:46:00.000Z'),
    ...overrides,
  };
}

describe('toFileRecord', () => {
  it("matches the seed's File model", () => {
    expect(toFileRecord(clip())).toEqual({
      id: 'clip_abc',
      filename: 'replay-2026-11-21_13-45-07.mp4',
      mimeType: 'video/mp4',
      size: 12345,
      checksum: 'a'.repeat(64),
      resourceType: 'REPLAY_CLIP',
      storagePath: 'clips/clip_abc.mp4',
      uploadedById: 'user-1',
      createdAt: new Date('2026-11-21T13:46:00.000Z'),
    });
  });

  it('names the file after the title, portably', () => {
    expect(toFileRecord(clip({ title: '  Épic   clutch!! / round 3 ' })).filename).toBe(
      'epic-clutch-round-3-2026-11-21_13-45-07.mp4',
    );
    expect(toFileRecord(clip({ title: '🔥🔥' })).filename).toBe('replay-2026-11-21_13-45-07.mp4');
  });
});

function segment(name: string, startMs: number, durationSeconds: number): Segment {
  return {
    name,
    path: `/x/${name}`,
    sequence: 0,
    startMs,
    durationSeconds,
    sizeBytes: 1000,
    timing: 'playlist',
  };
}

describe('buildPreviewPlaylist', () => {
  const t0 = Date.parse('2026-11-21T13:00:00.000Z');
  const segments = [
    segment('replay_00000.ts', t0, 2.1),
    segment('replay_00001.ts', t0 + 2100, 1.9),
    // 6 s missing before this one
    segment('replay_00002.ts', t0 + 10_000, 2),
  ];
  const preview = buildPreviewPlaylist('rs_1', segments, ({ name, kind }) => `/p/${kind}/${name}`);

  it('writes a VOD playlist with a date-time per segment and a discontinuity after a gap', () => {
    expect(preview.playlist.split('\n')).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-TARGETDURATION:3',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:00:00.000Z',
      '#EXTINF:2.100,',
      '/p/segment/replay_00000.ts',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:00:02.100Z',
      '#EXTINF:1.900,',
      '/p/segment/replay_00001.ts',
      '#EXT-X-DISCONTINUITY',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-21T13:00:10.000Z',
      '#EXTINF:2.000,',
      '/p/segment/replay_00002.ts',
      '#EXT-X-ENDLIST',
      '',
    ]);
    expect(preview.durationSeconds).toBeCloseTo(6, 6);
    expect(preview.startMs).toBe(t0);
    expect(preview.endMs).toBe(t0 + 12_000);
  });

  it('maps player time to wall clock and back, skipping the gap', () => {
    expect(previewTimeToWallClock(preview, 0)).toBe(t0);
    expect(previewTimeToWallClock(preview, 3)).toBe(t0 + 3000);
    expect(previewTimeToWallClock(preview, 4.5)).toBe(t0 + 10_500);
    expect(previewTimeToWallClock(preview, 99)).toBe(t0 + 12_000);
    expect(wallClockToPreviewTime(preview, t0 + 3000)).toBeCloseTo(3, 9);
    expect(wallClockToPreviewTime(preview, t0 + 10_500)).toBeCloseTo(4.5, 9);
    // Inside the gap: the next media.
    expect(wallClockToPreviewTime(preview, t0 + 7000)).toBeCloseTo(4, 9);
  });
});
