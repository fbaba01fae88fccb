/** Twirp error codes the emulator answers with, and their HTTP statuses (Twirp spec v7). */
export const twirpStatus = {
  invalid_argument: 400,
  malformed: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  bad_route: 404,
  failed_precondition: 412,
  resource_exhausted: 429,
  internal: 500,
  unimplemented: 501,
  unavailable: 503,
} as const;

export type TwirpCode = keyof typeof twirpStatus;

export class TwirpError extends Error {
  constructor(
    readonly code: TwirpCode,
    readonly msg: string,
  ) {
    super(`${code}: ${msg}`);
    this.name = 'TwirpError';
  }

  get status(): number {
    return twirpStatus[this.code];
  }
}
