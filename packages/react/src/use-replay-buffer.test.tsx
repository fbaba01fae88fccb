import type { ReplayNotification } from '@livekit-replay/core/contract';
import { act, renderHook, waitFor } from '@testing-library/react';
import { Room } from 'livekit-client';
import { type ReactNode, StrictMode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeApi, publish, screenSharePublication, unpublish } from './fake-api.test-helpers.js';
import { NotificationHub } from './notifications.js';
import { ReplayBufferProvider } from './provider.js';
import { useReplayBuffer } from './use-replay-buffer.js';

let room: Room;
afterEach(() => room?.removeAllListeners());

function setup(options: { autoStart?: boolean } = {}) {
  const api = new FakeApi();
  const socket = new NotificationHub();
  room = new Room();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <ReplayBufferProvider client={api.client} notifications={socket}>
      {children}
    </ReplayBufferProvider>
  );
  const render = () =>
    renderHook(() => useReplayBuffer({ room, settleMs: 20, pollIntervalMs: 60_000, ...options }), {
      wrapper,
    });
  return { api, socket, render };
}

function notification(fields: Partial<ReplayNotification> & Pick<ReplayNotification, 'type'>) {
  return {
    id: 'n1',
    userId: 'u1',
    sessionId: 's1',
    egressId: null,
    roomName: null,
    channelId: null,
    at: new Date().toISOString(),
    ...fields,
  } as ReplayNotification;
}

describe('useReplayBuffer', () => {
  it('starts when the local participant shares, warms up, records, and stops on unshare', async () => {
    const { api, render } = setup();
    const { result } = render();
    await waitFor(() => expect(api.callsTo('GET session')).toHaveLength(1));
    expect(result.current.phase).toBe('idle');

    const video = screenSharePublication('video');
    act(() => publish(room, video));
    expect(result.current.sharing).toBe(true);
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    expect(api.callsTo('POST start')[0]?.body).toMatchObject({
      videoTrackId: video.trackSid,
      sourceDimensions: { width: 1920, height: 1080 },
    });

    api.status = { ...api.status!, warmingUp: false, bufferedSeconds: 30 };
    await act(() => result.current.refresh());
    expect(result.current.phase).toBe('recording');
    expect(result.current.bufferedSeconds).toBe(30);
    expect(result.current.sizeEstimates.map((e) => e.seconds)).toEqual([60, 120, 300, 600]);

    act(() => unpublish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('stopped'));
    expect(api.callsTo('POST stop')).toHaveLength(1);
    expect(result.current.sharing).toBe(false);
  });

  it.each([
    ['audio before video', ['audio', 'video'] as const],
    ['audio after video', ['video', 'audio'] as const],
  ])('picks up the screen-share audio (%s) in one start', async (_name, order) => {
    const { api, render } = setup();
    const { result } = render();
    const pubs = { video: screenSharePublication('video'), audio: screenSharePublication('audio') };
    act(() => {
      for (const kind of order) publish(room, pubs[kind]);
    });
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    expect(api.callsTo('POST start')).toHaveLength(1);
    expect(api.callsTo('POST start')[0]?.body).toMatchObject({
      videoTrackId: pubs.video.trackSid,
      audioTrackId: pubs.audio.trackSid,
    });
  });

  it('restarts with the audio when it is published after the buffer started', async () => {
    const { api, render } = setup();
    const { result } = render();
    const video = screenSharePublication('video');
    act(() => publish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    const audio = screenSharePublication('audio');
    act(() => publish(room, audio));
    await waitFor(() => expect(api.callsTo('POST start')).toHaveLength(2));
    expect(api.callsTo('POST start')[1]?.body).toMatchObject({ audioTrackId: audio.trackSid });
  });

  it('coalesces rapid share toggles: one start, then one stop', async () => {
    const { api, render } = setup();
    const { result } = render();
    await waitFor(() => expect(api.callsTo('GET session')).toHaveLength(1));
    api.hold('POST start');
    const first = screenSharePublication('video');
    act(() => publish(room, first));
    await waitFor(() => expect(api.callsTo('POST start')).toHaveLength(1));
    // While the start is in flight the user toggles three more times and ends unshared.
    act(() => {
      unpublish(room, first);
      const second = screenSharePublication('video');
      publish(room, second);
      unpublish(room, second);
    });
    api.release('POST start');
    await waitFor(() => expect(result.current.phase).toBe('stopped'));
    expect(api.callsTo('POST start')).toHaveLength(1);
    expect(api.callsTo('POST stop')).toHaveLength(1);
  });

  it('toggles faster than the settle window make no request at all', async () => {
    const { api, render } = setup();
    const { result } = render();
    await waitFor(() => expect(api.callsTo('GET session')).toHaveLength(1));
    const video = screenSharePublication('video');
    act(() => {
      publish(room, video);
      unpublish(room, video);
    });
    // A later share is the signal: it starts once, and the earlier toggle left nothing behind.
    const again = screenSharePublication('video');
    act(() => publish(room, again));
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    expect(api.callsTo('POST start').map((c) => (c.body as { videoTrackId: string }).videoTrackId)).toEqual([
      again.trackSid,
    ]);
    expect(api.callsTo('POST stop')).toHaveLength(0);
  });

  it('after a reload, adopts the live buffer of the ongoing share instead of starting another', async () => {
    const { api, render } = setup();
    api.status = api.session('active', { bufferedSeconds: 125 });
    const video = screenSharePublication('video');
    room.localParticipant.trackPublications.set(video.trackSid, video);
    const { result } = render();
    await waitFor(() => expect(result.current.phase).toBe('recording'));
    expect(result.current.bufferedSeconds).toBe(125);
    expect(result.current.sharing).toBe(true);
    expect(api.callsTo('POST start')).toHaveLength(0);

    act(() => unpublish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('stopped'));
    expect(api.callsTo('POST stop')[0]?.body).toEqual({ sessionId: api.status.session.id });
  });

  it('after a reload without a share, shows the just-ended buffer as stopped (still saveable)', async () => {
    const { api, render } = setup();
    api.status = api.session('stopped', { canCapture: true });
    const { result } = render();
    await waitFor(() => expect(result.current.phase).toBe('stopped'));
    expect(result.current.canCapture).toBe(true);
    expect(api.calls.map((c) => c.path)).toEqual(['session']);
  });

  it('shows the error and its userMessage when the start fails, and retries on the next share', async () => {
    const { api, render } = setup();
    api.failures.set('POST start', {
      status: 503,
      body: {
        code: 'EGRESS_UNAVAILABLE',
        message: 'egress at capacity',
        userMessage: 'Recording is busy. Try again.',
      },
    });
    const { result } = render();
    const video = screenSharePublication('video');
    act(() => publish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('failed'));
    expect(result.current.error).toMatchObject({
      code: 'EGRESS_UNAVAILABLE',
      userMessage: 'Recording is busy. Try again.',
    });

    act(() => unpublish(room, video));
    const again = screenSharePublication('video');
    act(() => publish(room, again));
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    expect(result.current.error).toBeNull();
  });

  it('a stop the server no longer knows still ends as stopped, without an error', async () => {
    const { api, render } = setup();
    const { result } = render();
    const video = screenSharePublication('video');
    act(() => publish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    api.status = null; // the server forgot it (e.g. reconciled away)
    act(() => unpublish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('stopped'));
    expect(result.current.error).toBeNull();
  });

  it('a buffer the server stops is shown once as stopped, even if the event arrives twice', async () => {
    const { api, socket, render } = setup();
    const { result } = render();
    const video = screenSharePublication('video');
    act(() => publish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    const sessionId = result.current.session!.id;
    api.status = { ...api.status!, session: { ...api.status!.session, status: 'stopped' } };
    const stopped = notification({ type: 'REPLAY_BUFFER_STOPPED', sessionId, reason: 'egress ended' });
    let delivered = 0;
    act(() => {
      delivered += Number(socket.publish(stopped));
      delivered += Number(socket.publish(stopped));
    });
    expect(delivered).toBe(1);
    await waitFor(() => expect(result.current.phase).toBe('stopped'));
    // The share goes on, but the buffer the server ended is not restarted behind the user's back.
    expect(api.callsTo('POST start')).toHaveLength(1);
  });

  it('a failure event shows the userMessage', async () => {
    const { socket, render } = setup();
    const { result } = render();
    const video = screenSharePublication('video');
    act(() => publish(room, video));
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    act(() => {
      socket.publish(
        notification({
          type: 'REPLAY_BUFFER_FAILED',
          sessionId: result.current.session!.id,
          code: 'EGRESS_FAILED',
          error: 'egress failed',
          userMessage: 'Recording stopped unexpectedly.',
        }),
      );
    });
    expect(result.current.phase).toBe('failed');
    expect(result.current.error?.userMessage).toBe('Recording stopped unexpectedly.');
  });

  it('autoStart: never starts or stops, only follows the server', async () => {
    const { api, socket, render } = setup({ autoStart: true });
    const { result } = render();
    const video = screenSharePublication('video');
    act(() => publish(room, video));
    api.status = api.session('active');
    act(() => {
      socket.publish(
        notification({ id: 'started', type: 'REPLAY_BUFFER_STARTED', session: api.status!.session }),
      );
    });
    await waitFor(() => expect(result.current.phase).toBe('recording'));
    act(() => unpublish(room, video));
    api.status = { ...api.status, session: { ...api.status.session, status: 'stopped' } };
    act(() => {
      socket.publish(notification({ id: 'stopped', type: 'REPLAY_BUFFER_STOPPED', reason: 'share ended' }));
    });
    await waitFor(() => expect(result.current.phase).toBe('stopped'));
    expect(api.callsTo('POST start')).toHaveLength(0);
    expect(api.callsTo('POST stop')).toHaveLength(0);
  });

  it('under StrictMode (mount, unmount, mount again) a share still starts exactly one buffer', async () => {
    const api = new FakeApi();
    room = new Room();
    const wrapper = ({ children }: { children: ReactNode }) => (
      <StrictMode>
        <ReplayBufferProvider client={api.client} notifications={false}>
          {children}
        </ReplayBufferProvider>
      </StrictMode>
    );
    const { result } = renderHook(() => useReplayBuffer({ room, settleMs: 20 }), { wrapper });
    act(() => publish(room, screenSharePublication('video')));
    await waitFor(() => expect(result.current.phase).toBe('warming-up'));
    expect(api.callsTo('POST start')).toHaveLength(1);
  });

  it('throws a clear error outside the provider', () => {
    room = new Room();
    expect(() => renderHook(() => useReplayBuffer({ room }))).toThrow(/inside <ReplayBufferProvider/);
  });
});
