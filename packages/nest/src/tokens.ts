/**
 * Injection tokens. Our build (tsup/esbuild) emits no decorator metadata, so every provider
 * of this package is injected by an explicit token, never by a constructor's parameter types.
 */

/** The module's resolved options (`ReplayBufferModuleOptions`). */
export const REPLAY_MODULE_OPTIONS = Symbol('livekit-replay:module-options');
/** The `ReplayBufferManager` instance (also available as the class itself). */
export const REPLAY_BUFFER_MANAGER = Symbol('livekit-replay:manager');
/** The module-definition-time HTTP options (`ReplayBufferHttpOptions`, with defaults applied). */
export const REPLAY_HTTP_OPTIONS = Symbol('livekit-replay:http-options');
