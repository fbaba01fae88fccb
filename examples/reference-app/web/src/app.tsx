import { createReplayClient, ReplayBufferProvider } from '@livekit-replay/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type DemoUser, demoApi, type ShareMode } from './demo-api.js';
import { DirectMessagesPage } from './pages/direct-messages.js';
import { MyClipsPage } from './pages/my-clips.js';
import { ProfilePage } from './pages/profile.js';
import { SignInPage } from './pages/sign-in.js';
import { VoiceChannelPage } from './pages/voice-channel.js';
import { useHashRoute } from './routing.js';
import { ReplayToasts } from './toasts.js';

/** Signed out: the demo user picker. Signed in: the chat app with the replay feature. */
export function App() {
  const [me, setMe] = useState<DemoUser | null | undefined>(undefined);
  const [users, setUsers] = useState<DemoUser[]>([]);
  const [mode, setMode] = useState<ShareMode | null>(null);

  useEffect(() => {
    void demoApi.me().then((r) => setMe(r.user));
    void demoApi.users().then(setUsers);
  }, []);
  useEffect(() => {
    if (me) void demoApi.mode().then(setMode);
  }, [me]);

  const signOut = useCallback(async () => {
    await demoApi.signOut();
    setMe(null);
  }, []);

  if (me === undefined) return <p className="app-loading">Loading…</p>;
  if (me === null) return <SignInPage users={users} onSignedIn={setMe} />;
  if (!mode) return <p className="app-loading">Loading…</p>;
  // A new provider per user: the socket authenticates with the sign-in cookie.
  return <SignedInApp key={me.id} me={me} users={users} mode={mode} onSignOut={signOut} />;
}

function SignedInApp(props: { me: DemoUser; users: DemoUser[]; mode: ShareMode; onSignOut(): void }) {
  const { me, users, mode } = props;
  const client = useMemo(() => createReplayClient(), []);
  const route = useHashRoute();
  const others = users.filter((u) => u.id !== me.id);
  useRouteFocus(route, users);

  return (
    <ReplayBufferProvider client={client}>
      <div className="app">
        <header className="app-header">
          <a className="app-brand" href="#/channel">
            livekit-replay
          </a>
          <nav aria-label="Main">
            <a href="#/channel" aria-current={route.page === 'channel' ? 'page' : undefined}>
              # {mode.channel.name}
            </a>
            <a href="#/clips" aria-current={route.page === 'clips' ? 'page' : undefined}>
              My clips
            </a>
            <a href="#/dms" aria-current={route.page === 'dms' ? 'page' : undefined}>
              Direct messages
            </a>
            {others.map((user) => (
              <a
                key={user.id}
                href={`#/users/${user.id}`}
                aria-current={route.page === 'user' && route.userId === user.id ? 'page' : undefined}
              >
                {user.name}'s clips
              </a>
            ))}
          </nav>
          <div className="app-user">
            <span className="app-dev-badge" title="Development-only sign-in: never deploy this">
              dev sign-in
            </span>
            <span>{me.name}</span>
            <button type="button" onClick={props.onSignOut}>
              Sign out
            </button>
          </div>
        </header>
        <main className="app-main" id="main">
          {route.page === 'channel' && <VoiceChannelPage me={me} users={users} mode={mode} />}
          {route.page === 'clips' && <MyClipsPage me={me} users={users} channel={mode.channel} />}
          {route.page === 'dms' && <DirectMessagesPage me={me} users={users} />}
          {route.page === 'user' && (
            <ProfilePage
              user={users.find((u) => u.id === route.userId) ?? { id: route.userId, name: route.userId }}
            />
          )}
        </main>
        <ReplayToasts />
      </div>
    </ReplayBufferProvider>
  );
}

/** On navigation: a title per page, and focus on the new page's heading (as a full page load would). */
function useRouteFocus(route: ReturnType<typeof useHashRoute>, users: DemoUser[]) {
  const first = useRef(true);
  const name =
    route.page === 'clips'
      ? 'My clips'
      : route.page === 'dms'
        ? 'Direct messages'
        : route.page === 'user'
          ? `${users.find((u) => u.id === route.userId)?.name ?? route.userId}'s clips`
          : 'Voice channel';
  useEffect(() => {
    document.title = `${name} · livekit-replay`;
    if (first.current) {
      first.current = false;
      return;
    }
    const heading = document.querySelector<HTMLElement>('#main h1');
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }, [name]);
}
