// Browser-safe: the HTTP and socket contract shared by @livekit-replay/nest and @livekit-replay/react.
export * from './notifications.js';
export * from './routes.js';
export * from './schemas.js';
