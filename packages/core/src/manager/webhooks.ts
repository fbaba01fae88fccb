import path from 'node:path';
import type { EgressInfo } from '@livekit/protocol';
import { WebhookReceiver } from 'livekit-server-sdk';
import { ReplayBufferError, ReplayErrorCode } from '../errors.js';
import { SAFE_ID_PATTERN } from '../ids.js';
import { toEgressSnapshot } from '../livekit/livekit-egress-gateway.js';
import type { EgressSnapshot, ReplaySession, SessionStatus } from '../types.js';
import type { ManagerContext } from './context.js';
import { activateSession, endSession, isLive } from './session-lifecycle.js';

/** The webhook events that carry an egress (all others are acknowledged and ignored). */
export const EGRESS_WEBHOOK_EVENTS = ['egress_started', 'egress_updated', 'egress_ended'] as const;

export type WebhookIgnoredReason =
  /** Not an egress event (room_started, participant_left, track_unpublished, …). */
  | 'not_egress_event'
  /** No session of ours uses this egress (another app's egress, or a record already deleted). */
  | 'unknown_egress'
  /** The session is already where this event would take it (duplicate, late or stale event). */
  | 'no_change'
  /**
   * The egress belongs to a session whose start gave up before learning the egress id (e.g. the
   * start call timed out while LiveKit did start it); the egress was stopped.
   */
  | 'stray_egress_stopped';

/** What `handleWebhook` did with one delivery. */
export interface WebhookResult {
  event: string;
  egressId: string | null;
  sessionId: string | null;
  /** True when the event changed the session. */
  applied: boolean;
  /** The session's status after the event (null without a session). */
  status: SessionStatus | null;
  /** Why nothing changed, when `applied` is false. */
  ignored?: WebhookIgnoredReason;
}

/**
 * What an egress state means for its session. Decided on the egress *status*, never on the
 * event name, so the order events arrive in does not matter:
 *
 * | EgressStatus  | session                                                       |
 * |---------------|---------------------------------------------------------------|
 * | STARTING      | stays `starting`                                              |
 * | ACTIVE        | `starting` → `active`                                         |
 * | ENDING        | still live (segments are being finalised)                     |
 * | COMPLETE      | → `stopped`, reason `egress_complete`                         |
 * | FAILED        | → `failed`, LiveKit's error text kept                         |
 * | ABORTED       | → `failed`, reason `egress_aborted` (LiveKit aborts an egress that could not start or lost its source before recording anything useful; the user must hear that the buffer did not run, not that they stopped it) |
 * | LIMIT_REACHED | → `stopped`, reason `limit_reached`                           |
 *
 * Terminal statuses are final: a late ACTIVE after an end never revives a session.
 */
export type EgressOutcome =
  | { kind: 'none' }
  | { kind: 'activate' }
  | { kind: 'end'; to: 'stopped' | 'failed'; reason: string; error: string | null };

export function egressOutcome(egress: Pick<EgressSnapshot, 'state' | 'error'>): EgressOutcome {
  switch (egress.state) {
    case 'starting':
    case 'ending':
      return { kind: 'none' };
    case 'active':
      return { kind: 'activate' };
    case 'complete':
      return { kind: 'end', to: 'stopped', reason: 'egress_complete', error: null };
    case 'limit_reached':
      return { kind: 'end', to: 'stopped', reason: 'limit_reached', error: egress.error };
    case 'aborted':
      return {
        kind: 'end',
        to: 'failed',
        reason: 'egress_aborted',
        error: egress.error ?? 'LiveKit aborted the recording',
      };
    default:
      return {
        kind: 'end',
        to: 'failed',
        reason: 'egress_failed',
        error: egress.error ?? 'LiveKit reported the recording as failed',
      };
  }
}

/**
 * Applies an egress state LiveKit reported to the session, with compare-and-set transitions
 * only (duplicates and stale events change nothing). `reason` overrides the end reason (jobs
 * use `reconciled` / `orphaned`). Returns whether the session changed.
 */
export async function applyEgressState(
  ctx: ManagerContext,
  session: ReplaySession,
  egress: EgressSnapshot,
  options: { reason?: string } = {},
): Promise<{ applied: boolean; session: ReplaySession }> {
  const outcome = egressOutcome(egress);
  if (outcome.kind === 'activate') {
    // A sighting clears any reconciliation strike, whatever else happens.
    let current = session;
    if (isLive(session) && session.missedSightings > 0) {
      current =
        (await ctx.sessions.patch(session.id, ['starting', 'active'], { missedSightings: 0 })) ?? current;
    }
    const active = await activateSession(ctx, current, egress.startedAt ?? new Date());
    return { applied: active !== null || current !== session, session: active ?? current };
  }
  if (outcome.kind === 'end') {
    const ended = await endSession(ctx, session, {
      to: outcome.to,
      reason: options.reason ?? outcome.reason,
      error: outcome.error,
      stopEgress: false,
      // LiveKit's own times, so every delivery order leaves the same record.
      ...(egress.endedAt ? { endedAt: egress.endedAt } : {}),
      ...(egress.startedAt && !session.startedAt ? { startedAt: egress.startedAt } : {}),
    });
    return { applied: ended !== null, session: ended ?? session };
  }
  return { applied: false, session };
}

const receivers = new Map<string, WebhookReceiver>();

function receiverFor(apiKey: string, apiSecret: string): WebhookReceiver {
  const id = `${apiKey}\u0000${apiSecret}`;
  let receiver = receivers.get(id);
  if (!receiver) {
    if (receivers.size > 16) receivers.clear();
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
    return undefined;
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
 * Verifies a LiveKit webhook (raw body + `Authorization` header) and returns the event.
 * LiveKit sends the raw JWT, so a `Bearer ` header is refused: it is an API token, not a
 * webhook signature.
 */
export async function verifyWebhook(
  ctx: ManagerContext,
  rawBody: string | Uint8Array,
  authorization: string | undefined,
): Promise<{ event: string; egressInfo: EgressInfo | undefined }> {
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
  const { apiKey, apiSecret, webhookKeys = [] } = ctx.config.livekit;
  // The API pair, then the webhook pairs (livekit.yaml `webhook.api_key`, rotation): only
  // pairs whose key signed this token are tried, so an unknown key is refused by name.
  const issuer = issuerOf(token);
  const pairs = [{ apiKey, apiSecret }, ...webhookKeys].filter((pair) => pair.apiKey === issuer);
  if (issuer !== undefined && pairs.length === 0) {
    throw invalid(
      `The webhook was signed with key "${issuer}", which is not configured; add it to livekit.webhookKeys (LIVEKIT_WEBHOOK_KEYS)`,
    );
  }
  let failure: unknown = new Error('the token has no issuer');
  for (const pair of pairs) {
    try {
      const event = await receiverFor(pair.apiKey, pair.apiSecret).receive(body, token);
      return { event: event.event, egressInfo: event.egressInfo };
    } catch (error) {
      failure = error;
    }
  }
  throw invalid(
    `The webhook signature did not verify (${failure instanceof Error ? failure.message : String(failure)}); pass the raw request body and the Authorization header unchanged`,
    failure,
  );
}

/** The session directory LiveKit was told to write into (`<root>/<sessionDir>/<prefix>`). */
function sessionDirFromEgress(info: EgressInfo): string | null {
  const request = info.request;
  let prefix: string | undefined;
  if (request.case === 'trackComposite') prefix = request.value.segmentOutputs[0]?.filenamePrefix;
  if (!prefix) return null;
  const dir = path.posix.basename(path.posix.dirname(prefix));
  return SAFE_ID_PATTERN.test(dir) ? dir : null;
}

/**
 * The session an egress belongs to: by egress id, or — when the event outran the start call
 * that records the id — by the session directory in the egress request, if that session is
 * waiting for exactly this egress in this room.
 */
async function findSessionForEgress(
  ctx: ManagerContext,
  info: EgressInfo,
): Promise<{ session: ReplaySession; linked: boolean; stray?: boolean } | null> {
  const byId = await ctx.sessions.findByEgressId(info.egressId);
  if (byId) return { session: byId, linked: false };
  const dir = sessionDirFromEgress(info);
  if (!dir) return null;
  const candidate = await ctx.sessions.get(dir);
  if (!candidate || candidate.segmentDir !== dir || candidate.roomName !== info.roomName) return null;
  if (candidate.egressId !== null) return null;
  // The start call gave up (e.g. timed out) although LiveKit started the egress.
  if (!isLive(candidate)) return { session: candidate, linked: false, stray: true };
  if (candidate.status !== 'starting') return null;
  const linked = await ctx.sessions.patch(candidate.id, ['starting'], { egressId: info.egressId });
  if (linked?.egressId === info.egressId) return { session: linked, linked: true };
  // Lost a race with the start call: trust whatever it recorded.
  const again = await ctx.sessions.findByEgressId(info.egressId);
  return again ? { session: again, linked: false } : null;
}

/**
 * Handles one LiveKit webhook: verifies the signature (WEBHOOK_INVALID otherwise, nothing
 * changes), then applies egress events idempotently and order-independently.
 */
export async function handleWebhook(
  ctx: ManagerContext,
  rawBody: string | Uint8Array,
  authorization: string | undefined,
): Promise<WebhookResult> {
  const { event, egressInfo } = await verifyWebhook(ctx, rawBody, authorization);
  if (!(EGRESS_WEBHOOK_EVENTS as readonly string[]).includes(event) || !egressInfo?.egressId) {
    return {
      event,
      egressId: egressInfo?.egressId || null,
      sessionId: null,
      applied: false,
      status: null,
      ignored: 'not_egress_event',
    };
  }
  const found = await findSessionForEgress(ctx, egressInfo);
  if (!found) {
    return {
      event,
      egressId: egressInfo.egressId,
      sessionId: null,
      applied: false,
      status: null,
      ignored: 'unknown_egress',
    };
  }
  const { session, linked } = found;
  const egress = toEgressSnapshot(egressInfo);
  if (found.stray) {
    const running = egress.state === 'starting' || egress.state === 'active';
    if (running) await ctx.egress.stopEgress(egress.egressId);
    return {
      event,
      egressId: egress.egressId,
      sessionId: session.id,
      applied: false,
      status: session.status,
      ignored: running ? 'stray_egress_stopped' : 'no_change',
    };
  }
  const result = await applyEgressState(ctx, session, egress);
  const applied = result.applied || linked;
  const after = result.session;
  return {
    event,
    egressId: egressInfo.egressId,
    sessionId: session.id,
    applied,
    status: after.status,
    ...(applied ? {} : { ignored: 'no_change' as const }),
  };
}
