import { ClipLibrary, type ReplayDestination } from '@livekit-replay/react';
import type { Channel, DemoUser } from '../demo-api.js';

export function destinationsFor(me: DemoUser, users: DemoUser[], channel: Channel): ReplayDestination[] {
  return [
    { kind: 'channel', id: `channel:${channel.id}`, label: `#${channel.name}`, channelId: channel.id },
    ...users
      .filter((u) => u.id !== me.id)
      .map((u): ReplayDestination => ({ kind: 'dm', id: `dm:${u.id}`, label: `DM ${u.name}`, recipientUserId: u.id })),
  ];
}

export function MyClipsPage(props: { me: DemoUser; users: DemoUser[]; channel: Channel }) {
  return (
    <section aria-labelledby="my-clips-title">
      <h1 id="my-clips-title">My clips</h1>
      <ClipLibrary destinations={destinationsFor(props.me, props.users, props.channel)} />
    </section>
  );
}
