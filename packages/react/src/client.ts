import {
  activeSessionResponseSchema,
  type CaptureRequest,
  type ClipDto,
  clipPageSchema,
  clipSchema,
  DEFAULT_ROUTE_PREFIX,
  deleteClipResponseSchema,
  type PreviewDto,
  type PublicClipDto,
  type PublicSessionDto,
  previewSchema,
  publicClipPageSchema,
  publicClipSchema,
  publicSessionSchema,
  quotaSchema,
  type ReplayRouteName,
  replayRoutes,
  roomStatusSchema,
  routePath,
  type ShareTarget,
  type StartBufferRequest,
  type StreamQuery,
  shareClipResponseSchema,
  thumbnailsSchema,
  type UpdateClipRequest,
} from '@livekit-replay/core/contract';
import type { z } from 'zod';
import { errorFromResponse, ReplayApiError } from './errors.js';

export interface ReplayClientOptions {
  /** Origin (and path) the Nest app is mounted at, e.g. `https://api.example.com`. Default: the page's origin. */
  baseUrl?: string;
  /** Route prefix of the Nest module (default `livekit/replay`). */
  prefix?: string;
  /** Cookies: `include` for a cross-origin API that authenticates with cookies. Default `same-origin`. */
  credentials?: RequestCredentials;
  /** Bearer token sent as `Authorization` with every request (and to the socket, and to hls.js). */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /** A `fetch` of your own (tests, instrumentation). */
  fetch?: typeof fetch;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export interface PageQuery {
  cursor?: string;
  limit?: number;
}

export type ClipPage = z.infer<typeof clipPageSchema>;
export type PublicClipPage = z.infer<typeof publicClipPageSchema>;
export type BufferStatus = NonNullable<z.infer<typeof activeSessionResponseSchema>['status']>;
export type RoomStatus = z.infer<typeof roomStatusSchema>;
export type Thumbnails = z.infer<typeof thumbnailsSchema>;
export type Quota = z.infer<typeof quotaSchema>;
export type ShareClipResult = z.infer<typeof shareClipResponseSchema>;
export type DeleteClipResult = z.infer<typeof deleteClipResponseSchema>;

/** A typed function per route of the Nest package; usable without React. */
export interface ReplayClient {
  readonly options: Readonly<ReplayClientOptions>;
  /** Absolute URL of the API root (prefix included), ending with `/`. */
  readonly apiBase: string;
  /** Absolute URL of a route, or of a server-supplied URL relative to the API root. */
  url(route: ReplayRouteName | { relative: string }, params?: Record<string, string>, query?: Query): string;
  headers(): Promise<Record<string, string>>;
  startBuffer(body: StartBufferRequest): Promise<PublicSessionDto>;
  stopBuffer(body?: { sessionId?: string }): Promise<PublicSessionDto>;
  getSession(): Promise<BufferStatus | null>;
  getRoom(roomName: string): Promise<RoomStatus>;
  capture(body: CaptureRequest, init?: { signal?: AbortSignal }): Promise<ClipDto>;
  /** URL that downloads the last N seconds (or a range) without storing a clip. */
  streamUrl(query: StreamQuery): string;
  getPreview(): Promise<PreviewDto>;
  getThumbnails(query?: { count?: number; width?: number }): Promise<Thumbnails>;
  listClips(query?: PageQuery): Promise<ClipPage>;
  listUserClips(userId: string, query?: PageQuery): Promise<PublicClipPage>;
  getClip(clipId: string): Promise<ClipDto | PublicClipDto>;
  clipFileUrl(clipId: string): string;
  clipPosterUrl(clipId: string): string;
  updateClip(clipId: string, body: UpdateClipRequest): Promise<ClipDto>;
  shareClip(clipId: string, share: ShareTarget): Promise<ShareClipResult>;
  deleteClip(clipId: string): Promise<DeleteClipResult>;
  getQuota(): Promise<Quota>;
}

export function createReplayClient(options: ReplayClientOptions = {}): ReplayClient {
  const origin = options.baseUrl ?? (typeof location === 'undefined' ? 'http://localhost' : location.origin);
  const prefix = (options.prefix ?? DEFAULT_ROUTE_PREFIX).replace(/^\/+|\/+$/g, '');
  const apiBase = new URL(`${prefix}/`, origin.endsWith('/') ? origin : `${origin}/`).href;
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));

  const url: ReplayClient['url'] = (route, params, query) => {
    const path = typeof route === 'string' ? routePath(route, params) : route.relative;
    const target = new URL(path.startsWith('/') ? path : path, apiBase);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) target.searchParams.set(key, String(value));
    }
    return target.href;
  };

  const headers = async (): Promise<Record<string, string>> => {
    const token = await options.getToken?.();
    return token ? { authorization: `Bearer ${token}` } : {};
  };

  async function call<S extends z.ZodType>(
    route: ReplayRouteName,
    schema: S,
    init: { params?: Record<string, string>; query?: Query; body?: unknown; signal?: AbortSignal } = {},
  ): Promise<z.infer<S>> {
    const { method } = replayRoutes[route];
    const requestHeaders: Record<string, string> = { accept: 'application/json', ...(await headers()) };
    if (init.body !== undefined) requestHeaders['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(url(route, init.params, init.query), {
        method,
        headers: requestHeaders,
        credentials: options.credentials ?? 'same-origin',
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: init.signal,
      });
    } catch (cause) {
      if (init.signal?.aborted) throw cause;
      throw new ReplayApiError({
        code: 'NETWORK_ERROR',
        message: `${method} ${route} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
        userMessage: 'Could not reach the replay service. Check your connection and try again.',
        status: 0,
        cause,
      });
    }
    if (!response.ok) throw await errorFromResponse(response);
    const parsed = schema.safeParse(await response.json());
    if (!parsed.success) {
      throw new ReplayApiError({
        code: 'BAD_RESPONSE',
        message: `${method} ${route}: the answer does not match the contract: ${parsed.error.message}`,
        userMessage: 'The replay service answered something unexpected.',
        status: response.status,
      });
    }
    return parsed.data;
  }

  return {
    options,
    apiBase,
    url,
    headers,
    startBuffer: (body) => call('start', publicSessionSchema, { body }),
    stopBuffer: (body = {}) => call('stop', publicSessionSchema, { body }),
    getSession: async () => (await call('session', activeSessionResponseSchema)).status,
    getRoom: (roomName) => call('room', roomStatusSchema, { params: { roomName } }),
    capture: (body, init) => call('capture', clipSchema, { body, signal: init?.signal }),
    streamUrl: (query) => url('stream', {}, query as Query),
    getPreview: () => call('preview', previewSchema),
    getThumbnails: (query) => call('thumbnails', thumbnailsSchema, { query }),
    listClips: (query) => call('clips', clipPageSchema, { query: { ...query } }),
    listUserClips: (userId, query) =>
      call('userClips', publicClipPageSchema, { params: { userId }, query: { ...query } }),
    getClip: (clipId) => call('clip', clipSchema.or(publicClipSchema), { params: { clipId } }),
    clipFileUrl: (clipId) => url('clipFile', { clipId }),
    clipPosterUrl: (clipId) => url('clipPoster', { clipId }),
    updateClip: (clipId, body) => call('updateClip', clipSchema, { params: { clipId }, body }),
    shareClip: (clipId, share) =>
      call('shareClip', shareClipResponseSchema, { params: { clipId }, body: share }),
    deleteClip: (clipId) => call('deleteClip', deleteClipResponseSchema, { params: { clipId } }),
    getQuota: () => call('quota', quotaSchema),
  };
}
