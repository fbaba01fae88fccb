// A stand-in for the Nest routes, as a `fetch`, for unit tests of the stores and hooks.
// The real routes are exercised by the browser tests in test/.

import { TrackInfo, TrackSource, TrackType } from '@livekit/protocol';
import type { BufferStatusDto, ClipDto, PublicSessionDto } from '@livekit-replay/core/contract';
import { LocalTrackPublication, type Room, RoomEvent, Track } from 'livekit-client';
import { createReplayClient } from './client.js';

export interface Call {
  method: string;
  path: string;
  body: unknown;
}

export class FakeApi {
  calls: Call[] = [];
  status: BufferStatusDto | null = null;
  /** Answers for a route (`'POST start'`) that should fail, once each. */
  failures = new Map<string, { status: number; body: unknown }>();
  /** While set, requests to these routes wait for `release()`. */
  #held = new Map<string, (() => void)[]>();
  clips: ClipDto[] = [];
  #sessionCount = 0;

  readonly client = createReplayClient({
    baseUrl: 'http://api.test',
    fetch: (input, init) => this.fetch(input, init),
  });

  hold(route: string): void {
    this.#held.set(route, this.#held.get(route) ?? []);
  }

  release(route: string): void {
    const waiting = this.#held.get(route) ?? [];
    this.#held.delete(route);
    for (const go of waiting) go();
  }

  callsTo(route: string): Call[] {
    return this.calls.filter((c) => `${c.method} ${c.path}` === route);
  }

  session(status: PublicSessionDto['status'], overrides: Partial<BufferStatusDto> = {}): BufferStatusDto {
    const session: PublicSessionDto = {
      id: `s${++this.#sessionCount}`,
      status,
      roomName: 'room-1',
      channelId: null,
      egressId: 'EG_1',
      quality: '1080p',
      createdAt: new Date(0).toISOString(),
      startedAt: null,
      endedAt: null,
    };
    return {
      session,
      warmingUp: false,
      canCapture: status === 'active',
      bufferStart: null,
      bufferEnd: null,
      bufferedSeconds: 42,
      gapCount: 0,
      sizeEstimates: [60, 120, 300, 600].map((seconds) => ({
        seconds,
        available: seconds <= 42,
        bytes: seconds * 750_000,
      })),
      ...overrides,
    };
  }

  async fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const url = new URL(String(input));
    const path = url.pathname.replace('/livekit/replay/', '');
    const method = init.method ?? 'GET';
    const route = `${method} ${path}`;
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    this.calls.push({ method, path, body });
    const queue = this.#held.get(route);
    if (queue) await new Promise<void>((go) => queue.push(go));
    const failure = this.failures.get(route);
    if (failure) {
      this.failures.delete(route);
      return Response.json(failure.body, { status: failure.status });
    }
    if (route === 'GET session') return Response.json({ status: this.status });
    if (route === 'POST start') {
      this.status = this.session('active', { warmingUp: true, bufferedSeconds: 0 });
      return Response.json(this.status.session);
    }
    if (route === 'POST stop') {
      if (!this.status) {
        return Response.json(
          {
            code: 'SESSION_NOT_FOUND',
            message: 'no live buffer',
            userMessage: 'No replay buffer is running.',
          },
          { status: 404 },
        );
      }
      this.status = { ...this.status, session: { ...this.status.session, status: 'stopped' } };
      return Response.json(this.status.session);
    }
    if (route === 'GET clips') {
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const next = from + limit < this.clips.length ? String(from + limit) : null;
      return Response.json({ items: this.clips.slice(from, from + limit), nextCursor: next });
    }
    if (route === 'POST capture') {
      const clip = makeClip(`c${this.clips.length + 1}`);
      this.clips.unshift(clip);
      return Response.json(clip, { status: 201 });
    }
    const clipRoute = /^(PATCH|DELETE) clips\/([\w-]+)$/.exec(route);
    if (clipRoute) {
      const clip = this.clips.find((c) => c.id === clipRoute[2]);
      if (!clip)
        return Response.json(
          { code: 'CLIP_NOT_FOUND', message: 'gone', userMessage: 'This clip no longer exists.' },
          { status: 404 },
        );
      if (clipRoute[1] === 'DELETE') {
        this.clips = this.clips.filter((c) => c !== clip);
        return Response.json({ deleted: true, freedBytes: clip.sizeBytes });
      }
      Object.assign(clip, body);
      return Response.json(clip);
    }
    return Response.json({ code: 'NOT_FOUND', message: route, userMessage: 'Not found.' }, { status: 404 });
  }
}

let sidCount = 0;

/** A real LocalTrackPublication as livekit-client makes it when the server confirms a publish. */
export function screenSharePublication(source: 'video' | 'audio'): LocalTrackPublication {
  const video = source === 'video';
  const info = new TrackInfo({
    sid: `TR_${video ? 'V' : 'A'}${++sidCount}`,
    name: video ? 'screen' : 'screen-audio',
    type: video ? TrackType.VIDEO : TrackType.AUDIO,
    source: video ? TrackSource.SCREEN_SHARE : TrackSource.SCREEN_SHARE_AUDIO,
    width: video ? 1920 : 0,
    height: video ? 1080 : 0,
  });
  return new LocalTrackPublication(video ? Track.Kind.Video : Track.Kind.Audio, info);
}

export function publish(room: Room, pub: LocalTrackPublication): void {
  room.emit(RoomEvent.LocalTrackPublished, pub, room.localParticipant);
}

export function unpublish(room: Room, pub: LocalTrackPublication): void {
  room.emit(RoomEvent.LocalTrackUnpublished, pub, room.localParticipant);
}

export function makeClip(id: string, overrides: Partial<ClipDto> = {}): ClipDto {
  return {
    id,
    ownerId: 'u1',
    sessionId: 's1',
    channelId: null,
    title: null,
    visibility: 'private',
    durationSeconds: 60,
    sizeBytes: 45_000_000,
    width: 1920,
    height: 1080,
    mimeType: 'video/mp4',
    sha256: 'a'.repeat(64),
    requestedStart: '2026-01-01T00:00:00.000Z',
    requestedEnd: '2026-01-01T00:01:00.000Z',
    actualStart: '2026-01-01T00:00:00.000Z',
    actualEnd: '2026-01-01T00:01:00.000Z',
    hasPoster: false,
    metadata: { clampedStart: false, clampedEnd: false, gaps: [], cutMode: 'accurate', segmentCount: 30 },
    createdAt: '2026-01-01T00:01:05.000Z',
    ...overrides,
  };
}
