import { ClipLibrary } from '@livekit-replay/react';
import type { DemoUser } from '../demo-api.js';

/** Another user's public clips. */
export function ProfilePage(props: { user: DemoUser }) {
  return (
    <section aria-labelledby="profile-title">
      <h1 id="profile-title">{props.user.name}'s public clips</h1>
      <ClipLibrary userId={props.user.id} />
    </section>
  );
}
