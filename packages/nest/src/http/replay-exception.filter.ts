import { isReplayBufferError, ReplayErrorCode } from '@livekit-replay/core';
import type { ErrorResponse } from '@livekit-replay/core/contract';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** What a person can be told for each status when the error carries no `userMessage` of its own. */
const FALLBACK_USER_MESSAGES: Record<number, string> = {
  400: 'That request was not valid.',
  401: 'Please sign in again.',
  403: 'You are not allowed to do that.',
  404: 'That could not be found.',
  409: 'That cannot be done right now.',
  410: 'That part of the replay is no longer available.',
  413: 'Your replay storage is full. Delete some clips and try again.',
  416: 'That part of the file does not exist.',
  429: 'Too many requests. Please wait a moment and try again.',
  500: 'Something went wrong on our side.',
  502: 'The recording service failed.',
  503: 'The service is busy. Please try again shortly.',
};

/** Codes for Nest's own HTTP exceptions (guards, unknown routes), so every answer has the same shape. */
const HTTP_CODES: Record<number, string> = {
  400: ReplayErrorCode.INVALID_INPUT,
  401: 'UNAUTHENTICATED',
  403: ReplayErrorCode.FORBIDDEN,
  404: 'NOT_FOUND',
  429: ReplayErrorCode.RATE_LIMITED,
};

export interface ErrorAnswer {
  status: number;
  body: ErrorResponse;
  headers: Record<string, string>;
}

/**
 * Turns anything thrown into the contract's error answer: a ReplayBufferError keeps its code,
 * status and details (429 adds `Retry-After`, 416 adds `Content-Range: bytes *\/size`); Nest's
 * HTTP exceptions keep their status; anything else is a 500 that reveals no internals.
 */
export function toErrorAnswer(error: unknown): ErrorAnswer {
  if (isReplayBufferError(error)) {
    const headers: Record<string, string> = {};
    const details = error.details ?? {};
    if (error.status === 429) headers['Retry-After'] = String(retryAfterSeconds(details));
    if (error.status === 416) {
      const size = Number(details.sizeBytes ?? details.size);
      if (Number.isFinite(size)) headers['Content-Range'] = `bytes */${size}`;
    }
    const internal = error.status >= 500 && error.code === ReplayErrorCode.INTERNAL;
    return {
      status: error.status,
      headers,
      body: {
        code: error.code,
        message: internal ? 'Internal error' : error.message,
        userMessage: userMessageOf(error) ?? fallbackUserMessage(error.status),
        ...(Object.keys(details).length > 0 && !internal ? { details } : {}),
      },
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return {
      status,
      headers: {},
      body: {
        code: HTTP_CODES[status] ?? `HTTP_${status}`,
        message: error.message,
        userMessage: fallbackUserMessage(status),
      },
    };
  }
  return {
    status: 500,
    headers: {},
    body: {
      code: ReplayErrorCode.INTERNAL,
      message: 'Internal error',
      userMessage: fallbackUserMessage(500),
    },
  };
}

function userMessageOf(error: object): string | undefined {
  const value = (error as { userMessage?: unknown }).userMessage;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function fallbackUserMessage(status: number): string {
  return FALLBACK_USER_MESSAGES[status] ?? FALLBACK_USER_MESSAGES[status >= 500 ? 500 : 400]!;
}

function retryAfterSeconds(details: Record<string, unknown>): number {
  const seconds = Number(details.retryAfterSeconds);
  if (Number.isFinite(seconds) && seconds > 0) return Math.ceil(seconds);
  const ms = Number(details.retryAfterMs);
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms / 1000);
  return 1;
}

/** Applied to the replay controllers only: the app's other routes keep their own error handling. */
@Catch()
export class ReplayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ReplayBuffer');

  catch(error: unknown, host: ArgumentsHost): void {
    const answer = toErrorAnswer(error);
    if (answer.status >= 500)
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : error);
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      // A stream failed after its headers went out: all we can do is cut the connection.
      res.destroy();
      return;
    }
    res.status(answer.status).set(answer.headers).json(answer.body);
  }
}
