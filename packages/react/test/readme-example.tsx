// biome-ignore-all format: the README shows this file line for line
// The README's example, compiled by the typecheck so it cannot rot.

import {
  CaptureReplayModal, ClipLibrary, createReplayClient, ReplayBufferProvider, type ReplayDestination, useReplayBuffer,
} from '@livekit-replay/react';
import type { Room } from 'livekit-client';
import { useState } from 'react';
import '@livekit-replay/react/styles.css';

const client = createReplayClient({ baseUrl: 'https://api.example.com', credentials: 'include' });
const destinations: ReplayDestination[] = [{ kind: 'channel', id: 'general', label: 'general', channelId: 'c1' }];

function ReplayButton({ room }: { room: Room }) {
  const buffer = useReplayBuffer({ room }); // starts when the user shares their screen, stops when they stop
  const [open, setOpen] = useState(false);
  return (
    <>
      {buffer.canCapture && <button type="button" onClick={() => setOpen(true)}>Save replay</button>}
      <CaptureReplayModal open={open} onClose={() => setOpen(false)} buffer={buffer} destinations={destinations} />
    </>
  );
}

export const Replay = ({ room }: { room: Room }) => (
  <ReplayBufferProvider client={client}>
    <ReplayButton room={room} />
    <ClipLibrary destinations={destinations} />
  </ReplayBufferProvider>
);
