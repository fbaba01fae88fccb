import { SegmentedFileSuffix } from '@livekit/protocol';
import {
  EgressClient,
  type EgressInfo,
  EgressStatus,
  SegmentedFileOutput,
  ServerError,
} from 'livekit-server-sdk';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { EgressGateway, StartSegmentedEgressRequest } from '../ports/egress-gateway.js';
import type { EgressSnapshot, EgressState } from '../types.js';
import { encodingOptionsFor } from './quality.js';

export interface LiveKitEgressGatewayOptions {
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Per-request timeout, seconds. */
  requestTimeoutSeconds?: number;
}

const STATE_BY_STATUS: Record<number, EgressState> = {
  [EgressStatus.EGRESS_STARTING]: 'starting',
  [EgressStatus.EGRESS_ACTIVE]: 'active',
  [EgressStatus.EGRESS_ENDING]: 'ending',
  [EgressStatus.EGRESS_COMPLETE]: 'complete',
  [EgressStatus.EGRESS_FAILED]: 'failed',
  [EgressStatus.EGRESS_ABORTED]: 'aborted',
  [EgressStatus.EGRESS_LIMIT_REACHED]: 'limit_reached',
};

/** Maps LiveKit's EgressStatus to our coarse state. Unknown values read as failed. */
export function egressStateOf(status: EgressStatus | number): EgressState {
  return STATE_BY_STATUS[status] ?? 'failed';
}

function nanosToDate(value: bigint | number | undefined): Date | null {
  if (value === undefined) return null;
  const ns = BigInt(value);
  return ns > 0n ? new Date(Number(ns / 1_000_000n)) : null;
}

export function toEgressSnapshot(info: EgressInfo): EgressSnapshot {
  return {
    egressId: info.egressId,
    roomName: info.roomName,
    state: egressStateOf(info.status),
    error: info.error || null,
    startedAt: nanosToDate(info.startedAt),
    endedAt: nanosToDate(info.endedAt),
  };
}

/** LiveKit answers these when the egress is gone or already over; stopping is then a no-op. */
function isGoneOrEnded(error: unknown): boolean {
  if (!(error instanceof ServerError)) return false;
  const text = `${error.code ?? ''} ${error.message}`.toLowerCase();
  return (
    error.status === 404 ||
    error.code === 'not_found' ||
    error.code === 'failed_precondition' ||
    text.includes('does not exist') ||
    text.includes('not active') ||
    text.includes('not found')
  );
}

function toGatewayError(error: unknown, action: string): ReplayBufferError {
  if (error instanceof ReplayBufferError) return error;
  if (error instanceof ServerError) {
    if (
      error.status === 503 ||
      error.status === 429 ||
      error.code === 'unavailable' ||
      error.code === 'resource_exhausted'
    ) {
      return new ReplayBufferError(
        ReplayErrorCode.EGRESS_UNAVAILABLE,
        `LiveKit egress has no capacity to ${action} right now (${error.message}); try again in a moment`,
        { cause: error, details: { status: error.status, livekitCode: error.code } },
      );
    }
    if (error.status === 401 || error.status === 403) {
      return new ReplayBufferError(
        ReplayErrorCode.EGRESS_UNAVAILABLE,
        `LiveKit rejected the API credentials while trying to ${action}; check LIVEKIT_API_KEY and LIVEKIT_API_SECRET`,
        { cause: error, details: { status: error.status } },
      );
    }
    return new ReplayBufferError(
      ReplayErrorCode.EGRESS_FAILED,
      `LiveKit could not ${action}: ${error.message}`,
      {
        cause: error,
        details: { status: error.status, livekitCode: error.code },
      },
    );
  }
  return new ReplayBufferError(
    ReplayErrorCode.EGRESS_UNAVAILABLE,
    `LiveKit could not be reached to ${action}; try again in a moment`,
    { cause: error },
  );
}

/** EgressGateway over livekit-server-sdk's EgressClient (Twirp over HTTP). */
export class LiveKitEgressGateway implements EgressGateway {
  private readonly client: EgressClient;

  constructor(options: LiveKitEgressGatewayOptions) {
    this.client = new EgressClient(options.url, options.apiKey, options.apiSecret, {
      requestTimeout: options.requestTimeoutSeconds ?? 10,
    });
  }

  async startSegmentedEgress(request: StartSegmentedEgressRequest): Promise<EgressSnapshot> {
    const output = new SegmentedFileOutput({
      filenamePrefix: request.filenamePrefix,
      playlistName: request.playlistName,
      livePlaylistName: request.livePlaylistName,
      segmentDuration: request.segmentDurationSeconds,
      filenameSuffix:
        request.segmentNaming === 'TIMESTAMP' ? SegmentedFileSuffix.TIMESTAMP : SegmentedFileSuffix.INDEX,
    });
    try {
      const info = await this.client.startTrackCompositeEgress(request.roomName, output, {
        videoTrackId: request.videoTrackId,
        ...(request.audioTrackId ? { audioTrackId: request.audioTrackId } : {}),
        encodingOptions: encodingOptionsFor(
          request.quality,
          request.segmentDurationSeconds,
          request.sourceDimensions,
        ),
      });
      return toEgressSnapshot(info);
    } catch (error) {
      throw toGatewayError(error, 'start a recording');
    }
  }

  async stopEgress(egressId: string): Promise<EgressSnapshot | null> {
    try {
      return toEgressSnapshot(await this.client.stopEgress(egressId));
    } catch (error) {
      if (isGoneOrEnded(error)) return null;
      throw toGatewayError(error, 'stop a recording');
    }
  }

  async listActiveEgress(roomName?: string): Promise<EgressSnapshot[]> {
    try {
      const items = await this.client.listEgress({ active: true, ...(roomName ? { roomName } : {}) });
      return items.map(toEgressSnapshot).filter((e) => e.state === 'starting' || e.state === 'active');
    } catch (error) {
      throw toGatewayError(error, 'list recordings');
    }
  }

  async getEgress(egressId: string): Promise<EgressSnapshot | null> {
    try {
      const items = await this.client.listEgress({ egressId });
      const info = items.find((item) => item.egressId === egressId);
      return info ? toEgressSnapshot(info) : null;
    } catch (error) {
      if (isGoneOrEnded(error)) return null;
      throw toGatewayError(error, 'look up a recording');
    }
  }
}
