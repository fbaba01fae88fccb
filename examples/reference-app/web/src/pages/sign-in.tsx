import { useState } from 'react';
import { type DemoUser, demoApi } from '../demo-api.js';

/** Development-only sign-in: pick who you are. A real app has its own login here. */
export function SignInPage(props: { users: DemoUser[]; onSignedIn(user: DemoUser): void }) {
  const [error, setError] = useState<string | null>(null);
  const signIn = async (user: DemoUser) => {
    try {
      props.onSignedIn((await demoApi.signIn(user.id)).user);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <main className="sign-in">
      <h1>livekit-replay reference app</h1>
      <p className="sign-in-warning" role="note">
        <strong>Development-only sign-in.</strong> Anyone can be anyone here; never deploy it.
      </p>
      <h2 id="pick-user">Sign in as a demo user</h2>
      <ul className="sign-in-users" aria-labelledby="pick-user">
        {props.users.map((user) => (
          <li key={user.id}>
            <button type="button" onClick={() => void signIn(user)}>
              {user.name}
            </button>
          </li>
        ))}
      </ul>
      {error && <p role="alert">{error}</p>}
    </main>
  );
}
