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

export interface ReplayBufferErrorOptions {
  cause?: unknown;
  /** Extra structured facts for logs and API responses (never secrets). */
  details?: Record<string, unknown>;
}

export class ReplayBufferError extends Error {
  override readonly name = 'ReplayBufferError';
  readonly code: ReplayErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ReplayErrorCode, message: string, options: ReplayBufferErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = replayErrorStatus[code];
    this.details = options.details;
  }

  toJSON(): { code: ReplayErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
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
