import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import type { ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { ClipLibrary } from './clip-library.js';
import { FakeApi, makeClip } from './fake-api.test-helpers.js';
import { ReplayBufferProvider } from './provider.js';

// The library and its confirmation <dialog> in happy-dom, so both React majors run them (the
// browser tests cover them in Chromium, on React 19 only).
function setup() {
  const api = new FakeApi();
  api.clips = [makeClip('c1', { title: 'First' }), makeClip('c2', { title: 'Second' })];
  const wrapper = ({ children }: { children: ReactNode }) => (
    <ReplayBufferProvider client={api.client} notifications={false}>
      {children}
    </ReplayBufferProvider>
  );
  return { api, wrapper };
}

// A closed ReplayDialog renders no title, so only an open one has this name.
const confirmation = () => screen.getByRole('dialog', { name: 'Delete this clip?' }) as HTMLDialogElement;

describe('ClipLibrary', () => {
  it('deletes a clip only after the confirmation dialog, which Cancel closes', async () => {
    const { api, wrapper } = setup();
    render(<ClipLibrary />, { wrapper });
    await screen.findByRole('article', { name: 'First' });
    expect(screen.queryByRole('dialog', { name: 'Delete this clip?' })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Delete First' }));
    const dialog = confirmation();
    expect(dialog.open).toBe(true);
    // Named by its title through a useId id.
    expect(document.getElementById(dialog.getAttribute('aria-labelledby') ?? '')?.textContent).toBe(
      'Delete this clip?',
    );
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(dialog.open).toBe(false);
    expect(api.callsTo('DELETE clips/c1')).toHaveLength(0);

    fireEvent.click(screen.getByRole('button', { name: 'Delete First' }));
    expect(dialog.open).toBe(true);
    fireEvent.click(within(confirmation()).getByRole('button', { name: 'Delete' }));
    expect(dialog.open).toBe(false);
    await waitFor(() => expect(screen.queryByRole('article', { name: 'First' })).toBeNull());
    expect(api.callsTo('DELETE clips/c1')).toHaveLength(1);
    expect(screen.getByRole('article', { name: 'Second' })).toBeTruthy();
  });

  it('toggles a clip public, then private', async () => {
    const { api, wrapper } = setup();
    render(<ClipLibrary />, { wrapper });
    const card = await screen.findByRole('article', { name: 'Second' });
    fireEvent.click(within(card).getByRole('button', { name: 'Private' }));
    await waitFor(() => expect(within(card).getByRole('button', { name: 'Public' })).toBeTruthy());
    expect(within(card).getByRole('button', { name: 'Public' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(within(card).getByRole('button', { name: 'Public' }));
    await waitFor(() => expect(within(card).getByRole('button', { name: 'Private' })).toBeTruthy());
    expect(api.callsTo('PATCH clips/c2').map((c) => c.body)).toEqual([
      { visibility: 'public' },
      { visibility: 'private' },
    ]);
  });
});
