/**
 * One error class for the whole SDK. `code` is stable and machine-readable; `status` is an
 * HTTP hint that framework bindings (the Nest package) map to a response.
 */
export const ReplayErrorCode = {
  INVALID_INPUT: 'INVALID_INPUT',
  CONFIG_INVALID: 'CONFIG_INVALID',
  SESSION_NOT_FOUND: 'SESSION_NOT_FOUND',
  SESSION_NOT_ACTIVE: 'SESSION_NOT_ACTIVE',
  CLIP_NOT_FOUND: 'CLIP_NOT_FOUND',
  ALREADY_ACTIVE: 'ALREADY_ACTIVE',
  LIMIT_REACHED: 'LIMIT_REACHED',
  DISABLED: 'DISABLED',
  FORBIDDEN: 'FORBIDDEN',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  CAPTURE_BUSY: 'CAPTURE_BUSY',
  NO_SEGMENTS: 'NO_SEGMENTS',
  RANGE_UNAVAILABLE: 'RANGE_UNAVAILABLE',
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  EGRESS_UNAVAILABLE: 'EGRESS_UNAVAILABLE',
  EGRESS_FAILED: 'EGRESS_FAILED',
  WEBHOOK_INVALID: 'WEBHOOK_INVALID',
  MEDIA_ERROR: 'MEDIA_ERROR',
  STORAGE_ERROR: 'STORAGE_ERROR',
  INTERNAL: 'INTERNAL',
} as const;

export type ReplayErrorCode = (typeof ReplayErrorCode)[keyof typeof ReplayErrorCode];

/** HTTP status hint for each code. */
export const replayErrorStatus: Record<ReplayErrorCode, number> = {
  INVALID_INPUT: 400,
  CONFIG_INVALID: 500,
  SESSION_NOT_FOUND: 404,
  SESSION_NOT_ACTIVE: 409,
  CLIP_NOT_FOUND: 404,
  ALREADY_ACTIVE: 409,
  LIMIT_REACHED: 429,
  DISABLED: 403,
  FORBIDDEN: 403,
  QUOTA_EXCEEDED: 413,
  RATE_LIMITED: 429,
  CAPTURE_BUSY: 503,
  NO_SEGMENTS: 409,
  RANGE_UNAVAILABLE: 410,
  /** A byte range outside the file: answer 416 with `Content-Range: bytes *\/size`. */
  RANGE_NOT_SATISFIABLE: 416,
  EGRESS_UNAVAILABLE: 503,
  EGRESS_FAILED: 502,
  WEBHOOK_INVALID: 401,
  MEDIA_ERROR: 500,
  STORAGE_ERROR: 503,
  INTERNAL: 500,
};

/**
 * What a person is shown for each code: short, no internals, fit for a toast as it is. The
 * seed's wording where it had one (NO_SEGMENTS).
 */
export const replayErrorUserMessages: Record<ReplayErrorCode, string> = {
  INVALID_INPUT: 'That request was not valid. Check what you entered and try again.',
  CONFIG_INVALID: 'Replays are not set up correctly on this server. Please tell an administrator.',
  SESSION_NOT_FOUND:
    'That replay buffer no longer exists. Start sharing your screen again to record a new one.',
  SESSION_NOT_ACTIVE: 'That replay buffer has ended and its recording is no longer available.',
  CLIP_NOT_FOUND: 'That clip does not exist or is not available to you.',
  ALREADY_ACTIVE: 'You already have a replay buffer running.',
  LIMIT_REACHED: 'Too many replay buffers are running here right now. Try again later.',
  DISABLED: 'Replays are turned off here.',
  FORBIDDEN: 'You are not allowed to do that.',
  QUOTA_EXCEEDED: 'Your clip storage is full. Delete some clips to save new ones.',
  RATE_LIMITED: 'You are saving clips too quickly. Wait a moment, then try again.',
  CAPTURE_BUSY: 'The server is busy saving other clips. Try again in a few seconds.',
  NO_SEGMENTS: 'Your replay is still warming up. Keep sharing your screen for a few seconds, then try again.',
  RANGE_UNAVAILABLE: 'That part of the replay is no longer available.',
  RANGE_NOT_SATISFIABLE: 'That part of the file is not available.',
  EGRESS_UNAVAILABLE: 'Recording is temporarily unavailable. Try again in a moment.',
  EGRESS_FAILED: 'The recording could not be started or stopped. Try again.',
  WEBHOOK_INVALID: 'The request could not be verified.',
  MEDIA_ERROR: 'The clip could not be made. Try again.',
  STORAGE_ERROR: 'The clip could not be stored right now. Try again later.',
  INTERNAL: 'Something went wrong. Try again.',
};

export interface ReplayBufferErrorOptions {
  cause?: unknown;
  /** Extra structured facts for logs and API responses (never secrets). */
  details?: Record<string, unknown>;
  /** Overrides the code's default text for people (`replayErrorUserMessages`). */
  userMessage?: string;
}

export class ReplayBufferError extends Error {
  override readonly name = 'ReplayBufferError';
  readonly code: ReplayErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** Text fit to show a person as it is (the `message` is for developers). */
  readonly userMessage: string;

  constructor(code: ReplayErrorCode, message: string, options: ReplayBufferErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = replayErrorStatus[code];
    this.details = options.details;
    this.userMessage = options.userMessage ?? replayErrorUserMessages[code];
  }

  /** The contract's `ErrorResponse` shape. */
  toJSON(): {
    code: ReplayErrorCode;
    message: string;
    userMessage: string;
    details?: Record<string, unknown>;
  } {
    const base = { code: this.code, message: this.message, userMessage: this.userMessage };
    return this.details ? { ...base, details: this.details } : base;
  }
}

export function isReplayBufferError(value: unknown, code?: ReplayErrorCode): value is ReplayBufferError {
  return value instanceof ReplayBufferError && (code === undefined || value.code === code);
}

/**
 * Normalises anything thrown into a ReplayBufferError, keeping the original as `cause`.
 * Already-coded errors pass through untouched.
 */
export function toReplayBufferError(
  value: unknown,
  fallbackCode: ReplayErrorCode = ReplayErrorCode.INTERNAL,
  message?: string,
): ReplayBufferError {
  if (value instanceof ReplayBufferError) return value;
  const text = value instanceof Error ? value.message : String(value);
  return new ReplayBufferError(fallbackCode, message ? `${message}: ${text}` : text, { cause: value });
}
