// The page the browser tests mount: one component per `?view=`, against the real backend
// (same origin, through the test's proxy). Results go to `window.lkr` for the test to read.
import type { ClipDto } from '@livekit-replay/core/contract';
import { Room } from 'livekit-client';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import {
  CaptureReplayModal,
  ClipLibrary,
  createReplayClient,
  ReplayBufferProvider,
  type ReplayDestination,
  TrimPreview,
  useReplayBuffer,
  useReplayNotifications,
} from '../../src/index.js';
import '../../src/styles.css';

declare global {
  interface Window {
    lkr: { saved: ClipDto[]; errors: string[]; notifications: string[] };
  }
}
window.lkr = { saved: [], errors: [], notifications: [] };

const params = new URLSearchParams(location.search);
const user = params.get('user') ?? 'nobody';
// biome-ignore lint/suspicious/noDocumentCookie: the test page's stand-in for a sign-in cookie, set before the first request
document.cookie = `lkr_user=${encodeURIComponent(user)}; path=/`;
const client = createReplayClient({ getToken: () => user });
const destinations: ReplayDestination[] = [
  { kind: 'channel', id: 'general', label: 'general', channelId: 'chan-general' },
  { kind: 'dm', id: 'dm-ana', label: 'Ana', recipientUserId: 'ana' },
];
const room = new Room();

function ModalView() {
  const buffer = useReplayBuffer({ room, pollIntervalMs: 1000 });
  const [open, setOpen] = useState(true);
  return (
    <main data-phase={buffer.phase}>
      <button type="button" className="lkr-button" onClick={() => setOpen(true)}>
        Save replay
      </button>
      <CaptureReplayModal
        open={open}
        onClose={() => setOpen(false)}
        buffer={buffer}
        destinations={destinations}
        onSaved={(clip) => window.lkr.saved.push(clip)}
      />
    </main>
  );
}

/** Every server event the page received over the socket (each id once). */
function NotificationLog() {
  useReplayNotifications((n) => window.lkr.notifications.push(n.type));
  return null;
}

function App() {
  const view = params.get('view');
  if (view === 'modal') return <ModalView />;
  if (view === 'trim') {
    return (
      <main className="demo-narrow">
        <h1 className="demo-title">Trim the replay</h1>
        <TrimPreview
          initialSeconds={Number(params.get('seconds') ?? 10)}
          onSaved={(clip) => window.lkr.saved.push(clip)}
        />
      </main>
    );
  }
  const owner = params.get('owner');
  return (
    <main>
      <h1 className="demo-title">{owner ? `${owner}'s public clips` : 'My clips'}</h1>
      <ClipLibrary
        destinations={destinations}
        pageSize={Number(params.get('pageSize') ?? 12)}
        {...(owner ? { userId: owner } : {})}
      />
    </main>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('no #root');
createRoot(root).render(
  <StrictMode>
    <ReplayBufferProvider client={client}>
      <NotificationLog />
      <App />
    </ReplayBufferProvider>
  </StrictMode>,
);
