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
    if (route === 'GET clips') return Response.json({ items: this.clips, nextCursor: null });
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
