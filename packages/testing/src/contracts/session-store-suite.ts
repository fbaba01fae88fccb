import type { SessionStore } from '@livekit-replay/core';
import type { ReplaySession, SessionStatus } from '@livekit-replay/core/adapter';
import type { newSessionInput } from './helpers.js';
import type { RawOf, SessionStoreContractOptions } from './types.js';

export const LIVE: SessionStatus[] = ['starting', 'active'];

export type SessionRaw = RawOf<SessionStoreContractOptions>;

/**
 * What the SessionStore contract's parts share. `store` and `raw` are set by the contract's
 * `beforeAll`: read them inside a hook or a test, not while registering.
 */
export interface SessionContractSuite {
  readonly store: SessionStore;
  readonly raw: SessionRaw;
  /** Creates a session and moves it to `status` through the usual transitions. */
  sessionIn(status: SessionStatus, overrides?: Parameters<typeof newSessionInput>[0]): Promise<ReplaySession>;
}
