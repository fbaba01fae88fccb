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

/** A key pair LiveKit may sign webhooks with. */
export interface WebhookSigningKey {
  apiKey: string;
  apiSecret: string;
}

const receivers = new Map<string, WebhookReceiver>();

function receiverFor({ apiKey, apiSecret }: WebhookSigningKey): WebhookReceiver {
  const id = `${apiKey}\u0000${apiSecret}`;
  let receiver = receivers.get(id);
  if (!receiver) {
    if (receivers.size > 16) receivers.clear(); // a handful of pairs at most; never grows unbounded
    receiver = new WebhookReceiver(apiKey, apiSecret);
    receivers.set(id, receiver);
  }
  return receiver;
}

/** The `iss` claim (the signing key) of a JWT, read without verifying it. */
function issuerOf(token: string): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims?.iss === 'string' ? claims.iss : undefined;
  } catch {
    return undefined; // not a JWT: verification below refuses it
  }
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
  credentials: WebhookSigningKey & { webhookKeys?: WebhookSigningKey[] | undefined },
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
  const token = authorization.trim();
  // The API pair, then the webhook pairs (livekit.yaml `webhook.api_key`, rotation): only pairs
  // whose key signed this token are tried, so an unknown key is refused by name.
  const issuer = issuerOf(token);
  const pairs = [credentials, ...(credentials.webhookKeys ?? [])].filter((pair) => pair.apiKey === issuer);
  if (issuer !== undefined && pairs.length === 0) {
    throw invalid(
      `The webhook was signed with key "${issuer}", which is not configured; add it to livekit.webhookKeys (LIVEKIT_WEBHOOK_KEYS)`,
    );
  }
  let event: Awaited<ReturnType<WebhookReceiver['receive']>> | undefined;
  let failure: unknown = new Error('the token names no signing key');
  for (const pair of pairs) {
    try {
      event = await receiverFor(pair).receive(body, token);
      break;
    } catch (error) {
      failure = error;
    }
  }
  if (!event) {
    throw invalid(
      `The webhook signature did not verify (${failure instanceof Error ? failure.message : String(failure)}); pass the raw request body and the Authorization header unchanged`,
      failure,
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
