import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Segment, segmentInputArgs } from '@livekit-replay/core/adapter';
import { FFMPEG, run } from './util.js';

/**
 * The per-segment work of the removed fragment cache: remux one segment to a fragmented MP4
 * (`frag_keyframe+empty_moov+default_base_moof`), as it did when each segment landed.
 */
export async function ingestSegment(segment: Segment, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const output = join(dir, `${segment.name}.mp4`);
  try {
    await run(FFMPEG, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-copyts',
      ...segmentInputArgs(segment.path),
      '-map',
      '0',
      '-c',
      'copy',
      '-bsf:a',
      'aac_adtstoasc',
      '-f',
      'mp4',
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof+frag_discont',
      output,
    ]);
  } finally {
    await rm(output, { force: true });
  }
}
