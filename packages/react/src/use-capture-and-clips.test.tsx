import type { ReplayNotification } from '@livekit-replay/core/contract';
import { act, fireEvent, render, renderHook, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { CaptureReplayModal } from './capture-replay-modal.js';
import { FakeApi, makeClip } from './fake-api.test-helpers.js';
import { NotificationHub } from './notifications.js';
import { ReplayBufferProvider } from './provider.js';
import { useCaptureReplay } from './use-capture-replay.js';
import { useClips } from './use-clips.js';
import { useReplayNotifications } from './use-replay-notifications.js';

function setup() {
  const api = new FakeApi();
  const socket = new NotificationHub();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <ReplayBufferProvider client={api.client} notifications={socket}>
      {children}
    </ReplayBufferProvider>
  );
  return { api, socket, wrapper };
}

const base = { userId: 'u1', sessionId: 's1', egressId: null, roomName: null, channelId: null, at: '' };
const progress = (id: string, captureId: string, fraction: number): ReplayNotification => ({
  ...base,
  id,
  type: 'CAPTURE_PROGRESS',
  captureId,
  fraction,
  stage: 'cutting',
});

describe('useCaptureReplay', () => {
  it('shows progress from the socket, then the clip', async () => {
    const { api, socket, wrapper } = setup();
    api.hold('POST capture');
    const { result } = renderHook(() => useCaptureReplay(), { wrapper });
    let saving!: Promise<unknown>;
    act(() => {
      saving = result.current.capture({ durationSeconds: 60 });
    });
    expect(result.current.phase).toBe('saving');
    act(() => {
      socket.publish(progress('p1', 'cap-1', 0.25));
      socket.publish(progress('p2', 'cap-other', 0.9)); // someone else's save (another tab)
      socket.publish(progress('p3', 'cap-1', 0.5));
    });
    expect(result.current.progress).toBe(0.5);
    expect(result.current.stage).toBe('cutting');
    api.release('POST capture');
    await act(() => saving);
    expect(result.current.phase).toBe('saved');
    expect(result.current.progress).toBe(1);
    expect(result.current.clip?.id).toBe('c1');
  });

  it('a failure shows the userMessage of the error answer', async () => {
    const { api, wrapper } = setup();
    api.failures.set('POST capture', {
      status: 503,
      body: { code: 'EGRESS_UNAVAILABLE', message: 'cannot confirm', userMessage: 'Try again in a moment.' },
    });
    const { result } = renderHook(() => useCaptureReplay(), { wrapper });
    await act(() => result.current.capture({ durationSeconds: 60 }));
    expect(result.current.phase).toBe('failed');
    expect(result.current.error).toMatchObject({
      code: 'EGRESS_UNAVAILABLE',
      userMessage: 'Try again in a moment.',
    });
  });
});

describe('useClips', () => {
  it('pages with the cursor, adds a clip just saved on top, toggles visibility and deletes', async () => {
    const { api, wrapper } = setup();
    api.clips = Array.from({ length: 5 }, (_, i) => makeClip(`k${i}`));
    const { result } = renderHook(() => ({ clips: useClips({ pageSize: 2 }), capture: useCaptureReplay() }), {
      wrapper,
    });
    await waitFor(() => expect(result.current.clips.loaded).toBe(true));
    expect(result.current.clips.items.map((c) => c.id)).toEqual(['k0', 'k1']);
    await act(() => result.current.clips.loadMore());
    await act(() => result.current.clips.loadMore());
    expect(result.current.clips.items.map((c) => c.id)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    expect(result.current.clips.hasMore).toBe(false);

    await act(() => result.current.capture.capture({ durationSeconds: 60 }));
    expect(result.current.clips.items[0]?.id).toBe('c6');

    await act(() => result.current.clips.setVisibility('k1', 'public'));
    expect(result.current.clips.items.find((c) => c.id === 'k1')?.visibility).toBe('public');
    await act(() => result.current.clips.deleteClip('k2'));
    expect(result.current.clips.items.map((c) => c.id)).not.toContain('k2');
    expect(api.clips.map((c) => c.id)).not.toContain('k2');

    await act(() => result.current.clips.deleteClip('gone').catch(() => {}));
    expect(result.current.clips.error?.userMessage).toBe('This clip no longer exists.');
  });
});

describe('useReplayNotifications', () => {
  it('delivers each server event once, even when the socket delivers it twice', () => {
    const { socket, wrapper } = setup();
    const seen: string[] = [];
    renderHook(() => useReplayNotifications((n) => seen.push(n.id), ['CLIP_READY', 'CAPTURE_PROGRESS']), {
      wrapper,
    });
    const ready: ReplayNotification = { ...base, id: 'r1', type: 'CLIP_READY', captureId: 'x', clipId: 'c1' };
    act(() => {
      socket.publish(ready);
      socket.publish({ ...ready });
      socket.publish(progress('p1', 'x', 0.1));
      socket.publish({ ...base, id: 's1', type: 'REPLAY_BUFFER_STOPPED', reason: 'filtered out' });
    });
    expect(seen).toEqual(['r1', 'p1']);
  });
});

describe('CaptureReplayModal', () => {
  const buffer = {
    bufferedSeconds: 150,
    canCapture: true,
    sizeEstimates: [
      { seconds: 60, available: true, bytes: 45 * 1024 * 1024 },
      { seconds: 120, available: true, bytes: 90 * 1024 * 1024 },
      { seconds: 300, available: false, bytes: 225 * 1024 * 1024 },
      { seconds: 600, available: false, bytes: 450 * 1024 * 1024 },
    ],
  };

  it('disables presets longer than the buffer with the reason, and saves to the chosen destination', async () => {
    const { api, wrapper } = setup();
    render(
      <CaptureReplayModal
        open
        onClose={() => {}}
        buffer={buffer}
        destinations={[{ kind: 'channel', id: 'general', label: 'general', channelId: 'ch-1' }]}
      />,
      { wrapper },
    );
    const five = screen.getByRole('radio', { name: /Last 5 min/ });
    expect(five).toHaveProperty('disabled', true);
    expect(five.getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(five.getAttribute('aria-describedby')!)?.textContent).toBe(
      'only 2:30 buffered',
    );
    expect(screen.getByText('about 45 MB')).toBeTruthy();
    fireEvent.click(screen.getByRole('radio', { name: /Last 2 min/ }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Save to' }), { target: { value: 'general' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save last 2 min' }));
    await screen.findByRole('status');
    expect(api.callsTo('POST capture')[0]?.body).toEqual({
      durationSeconds: 120,
      share: { target: 'channel', channelId: 'ch-1' },
    });
    expect(screen.getByRole('status').textContent).toMatch(/shared it to general/);
  });
});

describe('CaptureReplayModal in the first minute of a share', () => {
  it('offers everything buffered while no preset fits, and trimming stays possible', async () => {
    const { api, wrapper } = setup();
    const buffer = { bufferedSeconds: 42.6, canCapture: true, sizeEstimates: [] };
    render(<CaptureReplayModal open onClose={() => {}} buffer={buffer} />, { wrapper });
    expect(screen.getByRole('radio', { name: /Last 1 min/ })).toHaveProperty('disabled', true);
    const all = screen.getByRole('radio', { name: /All 0:42 buffered/ });
    expect(all).toHaveProperty('disabled', false);
    expect(all).toHaveProperty('checked', true);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Trim before saving' }));
    expect(screen.getByRole('button', { name: 'Trim…' })).toHaveProperty('disabled', false);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Trim before saving' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save all 0:42' }));
    await screen.findByRole('status');
    expect(api.callsTo('POST capture')[0]?.body).toEqual({ durationSeconds: 42 });
  });

  it('offers nothing while the buffer is warming up', () => {
    const { wrapper } = setup();
    const buffer = { bufferedSeconds: 0, canCapture: false, sizeEstimates: [] };
    render(<CaptureReplayModal open onClose={() => {}} buffer={buffer} />, { wrapper });
    expect(screen.queryByRole('radio', { name: /^All/ })).toBeNull();
    expect(screen.getByRole('button', { name: 'Save last 1 min' })).toHaveProperty('disabled', true);
  });
});

describe('CaptureReplayModal → trim', () => {
  it('"Trim before saving" opens the trim preview for the chosen length (and shows why it cannot load)', async () => {
    const { wrapper } = setup();
    const buffer = { bufferedSeconds: 600, canCapture: true, sizeEstimates: [] };
    render(<CaptureReplayModal open onClose={() => {}} buffer={buffer} />, { wrapper });
    fireEvent.click(screen.getByRole('checkbox', { name: 'Trim before saving' }));
    fireEvent.click(screen.getByRole('button', { name: 'Trim…' }));
    expect(screen.getByRole('heading', { name: 'Trim the replay' })).toBeTruthy();
    // The fake API has no preview route: the error's userMessage is shown.
    expect((await screen.findByRole('alert')).textContent).toBe('Not found.');
    fireEvent.click(screen.getByRole('button', { name: 'Back' }));
    expect(screen.getByRole('heading', { name: 'Save a replay' })).toBeTruthy();
  });
});
