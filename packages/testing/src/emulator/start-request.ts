import { join, relative, sep } from 'node:path';
import { type S3Upload, type SegmentedFileOutput, TrackCompositeEgressRequest } from '@livekit/protocol';
import type { SegmentLayout } from './egress-process.js';
import { resolveSegmentLayout } from './layout.js';
import { TwirpError } from './twirp-error.js';

/** A `StartTrackCompositeEgress` request the emulator can serve. */
export interface StartRequest {
  req: TrackCompositeEgressRequest;
  /** The one segmented output. */
  segmentsOutput: SegmentedFileOutput;
  /** Its upload config; undefined for a local output. */
  s3: S3Upload | undefined;
}

/**
 * Parses and validates the Twirp body: exactly one segmented output, written locally or uploaded
 * to S3; `cloud` refuses local output like LiveKit Cloud does.
 */
export function parseStartRequest(body: unknown, cloud: boolean | undefined): StartRequest {
  let req: TrackCompositeEgressRequest;
  try {
    req = TrackCompositeEgressRequest.fromJson(body as never, { ignoreUnknownFields: true });
  } catch (err) {
    throw new TwirpError('malformed', `could not parse request: ${(err as Error).message}`);
  }
  if (!req.roomName) throw new TwirpError('invalid_argument', 'room name is required');
  if (!req.audioTrackId && !req.videoTrackId) throw new TwirpError('invalid_argument', 'no tracks requested');
  const segmentsOutput = req.output.case === 'segments' ? req.output.value : req.segmentOutputs[0];
  if (!segmentsOutput || req.segmentOutputs.length > 1) {
    throw new TwirpError(
      'invalid_argument',
      'the egress emulator supports exactly one segmented file output (segments / segmentOutputs)',
    );
  }
  if (
    req.fileOutputs.length ||
    req.streamOutputs.length ||
    req.imageOutputs.length ||
    req.output.case === 'file' ||
    req.output.case === 'stream'
  ) {
    throw new TwirpError('unimplemented', 'the egress emulator only writes segmented (HLS) output');
  }
  if (segmentsOutput.output.case === undefined && cloud) {
    throw new TwirpError('invalid_argument', 'request has missing or invalid field: output');
  }
  if (segmentsOutput.output.case !== undefined && segmentsOutput.output.case !== 's3') {
    throw new TwirpError('unimplemented', 'the egress emulator uploads to S3 only (no GCP, Azure or AliOSS)');
  }
  const s3 = segmentsOutput.output.case === 's3' ? segmentsOutput.output.value : undefined;
  if (s3 && !s3.bucket)
    throw new TwirpError('invalid_argument', 'request has missing or invalid field: output');
  return { req, segmentsOutput, s3 };
}

/** Where an egress writes, and how its paths are named to the outside. */
export interface OutputPlan {
  layout: SegmentLayout;
  /** For an upload: a local staging path's object key. */
  keyOf: (path: string) => string;
  /** A path as LiveKit reports it: the object key, or relative to the segments root when inside it. */
  report: (path: string) => string;
}

export function planOutput(
  { req, segmentsOutput, s3 }: StartRequest,
  where: { egressId: string; segmentsRoot: string; stagingRoot: string; now: number },
): OutputPlan {
  // An upload writes locally in a private directory first; its paths there are the object keys.
  const uploadRoot = join(where.stagingRoot, `${where.egressId}-upload`);
  const layout = s3
    ? resolveSegmentLayout(objectKeyOutput(segmentsOutput), uploadRoot, req.roomName, where.now)
    : resolveSegmentLayout(segmentsOutput, where.segmentsRoot, req.roomName, where.now);
  const keyOf = (p: string) => relative(uploadRoot, p).split(sep).join('/');
  if (
    s3 &&
    [layout.playlistPath, layout.livePlaylistPath ?? layout.dir, layout.dir].some((p) =>
      relative(uploadRoot, p).startsWith('..'),
    )
  ) {
    throw new TwirpError('invalid_argument', 'request has missing or invalid field: output');
  }
  const report = (p: string) => {
    if (s3) return keyOf(p);
    const rel = relative(where.segmentsRoot, p);
    return rel.startsWith('..') ? p : rel;
  };
  return { layout, keyOf, report };
}

/** An upload's names are object keys, relative to the bucket: a leading slash is dropped. */
function objectKeyOutput(output: SegmentedFileOutput): SegmentedFileOutput {
  const copy = output.clone();
  copy.filenamePrefix = copy.filenamePrefix.replace(/^\/+/, '');
  copy.playlistName = copy.playlistName.replace(/^\/+/, '');
  copy.livePlaylistName = copy.livePlaylistName.replace(/^\/+/, '');
  return copy;
}
