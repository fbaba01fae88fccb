import { createHash } from 'node:crypto';
import { AccessToken, TokenVerifier } from 'livekit-server-sdk';
import { TwirpError } from './twirp-error.js';

/**
 * Checks a Twirp request's `Authorization: Bearer <jwt>` the way LiveKit does: HS256 signed
 * with the API secret, `iss` = API key, not expired, and the `roomRecord` video grant that the
 * Egress service requires.
 */
export async function verifyEgressAuth(
  header: string | undefined,
  apiKey: string,
  apiSecret: string,
): Promise<void> {
  if (!header) throw new TwirpError('unauthenticated', 'no authorization header');
  const token = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : header;
  let claims: Awaited<ReturnType<TokenVerifier['verify']>>;
  try {
    claims = await new TokenVerifier(apiKey, apiSecret).verify(token);
  } catch (err) {
    throw new TwirpError('unauthenticated', `invalid token: ${(err as Error).message}`);
  }
  if (claims.video?.roomRecord !== true) {
    throw new TwirpError('unauthenticated', 'permissions denied');
  }
}

/**
 * Signs a webhook body exactly like LiveKit: the `Authorization` header value is a raw JWT (no
 * `Bearer`) with `iss` = API key and a `sha256` claim = base64(SHA-256(body)).
 */
export async function signWebhook(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const at = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  at.sha256 = createHash('sha256').update(body).digest('base64');
  return at.toJwt();
}
