import { TrackSource, WebhookReceiver } from 'livekit-server-sdk';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import type { EgressSnapshot } from '../types.js';
import { toEgressSnapshot } from './livekit-egress-gateway.js';

/** A verified LiveKit webhook, in our own types (no SDK types leave this folder). */
export interface VerifiedWebhook {
  event: string;
  /** The egress the event is about, when it carries one. */
  egress: EgressSnapshot | null;
  /** The segment output's `filenamePrefix` of that egress's request (finds a session by directory). */
  filenamePrefix: string | null;
  /** The participant the event is about (participant and track events), for server-driven starts. */
  participantIdentity: string | null;
  roomName: string | null;
  /** The track a `track_published` / `track_unpublished` event is about (server-driven starts). */
  track: {
    sid: string;
    source: 'screen_share' | 'screen_share_audio' | 'other';
    width: number;
    height: number;
  } | null;
}

let receiverCache: { key: string; secret: string; receiver: WebhookReceiver } | null = null;

function receiverFor(apiKey: string, apiSecret: string): WebhookReceiver {
  if (receiverCache?.key !== apiKey || receiverCache.secret !== apiSecret) {
    receiverCache = { key: apiKey, secret: apiSecret, receiver: new WebhookReceiver(apiKey, apiSecret) };
  }
  return receiverCache.receiver;
}

function invalid(message: string, cause?: unknown): ReplayBufferError {
  return new ReplayBufferError(
    ReplayErrorCode.WEBHOOK_INVALID,
    message,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Verifies a LiveKit webhook (raw body + `Authorization` header) with the API key and secret.
 * LiveKit sends the raw JWT, so a `Bearer ` header is refused: it is an API token, not a
 * webhook signature. WEBHOOK_INVALID on any doubt.
 */
export async function verifyLiveKitWebhook(
  credentials: { apiKey: string; apiSecret: string },
  rawBody: string | Uint8Array,
  authorization: string | undefined,
): Promise<VerifiedWebhook> {
  if (typeof authorization !== 'string' || authorization.trim() === '') {
    throw invalid('The webhook has no Authorization header; only LiveKit-signed webhooks are accepted');
  }
  if (/^bearer\s/i.test(authorization.trim())) {
    throw invalid(
      'The webhook Authorization header starts with "Bearer"; LiveKit signs webhooks with a raw JWT',
    );
  }
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  let event: Awaited<ReturnType<WebhookReceiver['receive']>>;
  try {
    event = await receiverFor(credentials.apiKey, credentials.apiSecret).receive(body, authorization.trim());
  } catch (error) {
    throw invalid(
      `The webhook signature did not verify (${error instanceof Error ? error.message : String(error)}); pass the raw request body and the Authorization header unchanged`,
      error,
    );
  }
  const info = event.egressInfo;
  const request = info?.request;
  const filenamePrefix =
    request?.case === 'trackComposite' ? (request.value.segmentOutputs[0]?.filenamePrefix ?? null) : null;
  return {
    event: event.event,
    egress: info?.egressId ? toEgressSnapshot(info) : null,
    filenamePrefix: filenamePrefix || null,
    participantIdentity: event.participant?.identity || null,
    roomName: event.room?.name || info?.roomName || null,
    track: event.track?.sid
      ? {
          sid: event.track.sid,
          source:
            event.track.source === TrackSource.SCREEN_SHARE
              ? 'screen_share'
              : event.track.source === TrackSource.SCREEN_SHARE_AUDIO
                ? 'screen_share_audio'
                : 'other',
          width: event.track.width,
          height: event.track.height,
        }
      : null,
  };
}
