export { REPLAY_SOCKET_READY, REPLAY_SOCKET_UNAUTHORIZED, userRoom } from './gateway/replay.gateway.js';
export { type ErrorAnswer, ReplayExceptionFilter, toErrorAnswer } from './http/replay-exception.filter.js';
export { defaultGetUserId } from './http/request-user.js';
export { SchemaPipe, type StandardSchema } from './http/schema.pipe.js';
export type {
  ReplayBufferHttpOptions,
  ReplayBufferModuleOptions,
  ReplayRequest,
  ReplaySocket,
} from './options.js';
export { ReplayBufferModule } from './replay-buffer.module.js';
export { REPLAY_BUFFER_MANAGER, REPLAY_HTTP_OPTIONS, REPLAY_MODULE_OPTIONS } from './tokens.js';
