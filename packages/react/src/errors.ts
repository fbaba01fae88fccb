import { errorResponseSchema } from '@livekit-replay/core/contract';

/** What the server said went wrong: `code` for programs, `userMessage` to show to a person. */
export class ReplayApiError extends Error {
  override readonly name = 'ReplayApiError';
  readonly code: string;
  readonly userMessage: string;
  /** HTTP status, or 0 when the request never got an answer. */
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(init: {
    code: string;
    message: string;
    userMessage: string;
    status: number;
    details?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.code = init.code;
    this.userMessage = init.userMessage;
    this.status = init.status;
    this.details = init.details;
  }
}

/** The shape the hooks expose for a failure (plain, so it can sit in a snapshot). */
export interface ReplayErrorInfo {
  code: string;
  message: string;
  userMessage: string;
}

/** Turns an error answer (any body) into a ReplayApiError. */
export async function errorFromResponse(response: Response): Promise<ReplayApiError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = errorResponseSchema.safeParse(body);
  if (parsed.success) return new ReplayApiError({ ...parsed.data, status: response.status });
  return new ReplayApiError({
    code: response.status === 401 || response.status === 403 ? 'FORBIDDEN' : 'HTTP_ERROR',
    message: `HTTP ${response.status} ${response.statusText}: ${text.slice(0, 200)}`,
    userMessage:
      response.status >= 500
        ? 'The replay service is having trouble. Try again in a moment.'
        : 'The request was refused.',
    status: response.status,
  });
}

/** Normalises anything thrown into the plain error info the hooks show. */
export function toErrorInfo(error: unknown): ReplayErrorInfo {
  if (error instanceof ReplayApiError) {
    return { code: error.code, message: error.message, userMessage: error.userMessage };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'UNKNOWN', message, userMessage: 'Something went wrong. Try again.' };
}
