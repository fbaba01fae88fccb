import { S3Upload, SegmentedFileSuffix, WebhookConfig } from '@livekit/protocol';
import {
  EgressClient,
  type EgressInfo,
  EgressStatus,
  SegmentedFileOutput,
  ServerError,
} from 'livekit-server-sdk';
import {
  type EgressS3UploadInput,
  type EgressWebhook,
  egressS3UploadSchema,
  egressWebhookSchema,
} from '../config.js';
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
  /**
   * Upload segments and playlists to this bucket instead of writing local files (LiveKit Cloud
   * refuses local outputs); `filenamePrefix` is then a key. From the deployment's configuration
   * only (`config.livekit.egressUpload`; storage-s3's `egressS3Upload` builds it).
   */
  egressUpload?: { s3: EgressS3UploadInput };
  /** Sent as the start request's `webhooks`: LiveKit posts this egress's events there too. */
  egressWebhooks?: readonly EgressWebhook[];
}

function configError(message: string, field: string): ReplayBufferError {
  // Names the field only: the values hold credentials.
  return new ReplayBufferError(ReplayErrorCode.CONFIG_INVALID, message, { details: { fields: [field] } });
}

/** Checks the upload fields and builds LiveKit's message (a fresh copy, never the caller's object). */
function s3UploadOf(input: EgressS3UploadInput): S3Upload {
  const parsed = egressS3UploadSchema.safeParse(input);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw configError(`egress upload is invalid (${fields})`, 'livekit.egressUpload');
  }
  return new S3Upload(parsed.data);
}

/**
 * The `webhooks` of an egress start request; throws `CONFIG_INVALID` for a URL that is not
 * http(s) or a missing signing key.
 */
export function egressWebhooks(hooks: readonly EgressWebhook[]): WebhookConfig[] {
  return hooks.map((hook) => {
    const parsed = egressWebhookSchema.safeParse(hook);
    if (!parsed.success) {
      const url = parsed.error.issues.some((issue) => issue.path[0] === 'url');
      throw configError(
        url ? 'egress webhook url must be an http(s) URL' : 'egress webhook needs a signing key',
        'livekit.egressWebhooks',
      );
    }
    return new WebhookConfig(parsed.data);
  });
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

/** LiveKit Cloud's answer to a segmented output without an upload config. */
function refusesLocalOutput(error: unknown): boolean {
  return (
    error instanceof ServerError &&
    error.code === 'invalid_argument' &&
    /invalid field: output/i.test(error.message)
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
  private readonly upload: S3Upload | null;
  private readonly webhooks: WebhookConfig[];

  constructor(options: LiveKitEgressGatewayOptions) {
    this.client = new EgressClient(options.url, options.apiKey, options.apiSecret, {
      requestTimeout: options.requestTimeoutSeconds ?? 10,
    });
    // Checked here, so a bad deployment config fails at boot rather than at the first share.
    this.upload = options.egressUpload ? s3UploadOf(options.egressUpload.s3) : null;
    this.webhooks = egressWebhooks(options.egressWebhooks ?? []);
  }

  async startSegmentedEgress(request: StartSegmentedEgressRequest): Promise<EgressSnapshot> {
    const output = new SegmentedFileOutput({
      filenamePrefix: request.filenamePrefix,
      playlistName: request.playlistName,
      livePlaylistName: request.livePlaylistName,
      segmentDuration: request.segmentDurationSeconds,
      filenameSuffix:
        request.segmentNaming === 'TIMESTAMP' ? SegmentedFileSuffix.TIMESTAMP : SegmentedFileSuffix.INDEX,
      ...(this.upload ? { output: { case: 's3' as const, value: this.upload.clone() } } : {}),
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
        ...(this.webhooks.length > 0 ? { webhooks: this.webhooks.map((hook) => hook.clone()) } : {}),
      });
      return toEgressSnapshot(info);
    } catch (error) {
      if (!this.upload && refusesLocalOutput(error)) {
        throw new ReplayBufferError(
          ReplayErrorCode.CONFIG_INVALID,
          'LiveKit refused to write segments to local files (LiveKit Cloud, or egress with disallow_local_storage): configure livekit.egressUpload (storage-s3: s3ReplaySetup)',
          { cause: error, details: { fields: ['livekit.egressUpload'] } },
        );
      }
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
