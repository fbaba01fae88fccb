import type { QuotaDto } from '@livekit-replay/core/contract';
import {
  ClipLibrary,
  formatBytes,
  type ReplayDestination,
  useReplayContext,
  useReplayNotifications,
} from '@livekit-replay/react';
import { useCallback, useEffect, useState } from 'react';
import type { Channel, DemoUser } from '../demo-api.js';

const QUOTA_POLL_MS = 3000;

export function destinationsFor(me: DemoUser, users: DemoUser[], channel: Channel): ReplayDestination[] {
  return [
    { kind: 'channel', id: `channel:${channel.id}`, label: channel.name, channelId: channel.id },
    ...users
      .filter((u) => u.id !== me.id)
      .map(
        (u): ReplayDestination => ({ kind: 'dm', id: `dm:${u.id}`, label: u.name, recipientUserId: u.id }),
      ),
  ];
}

export function MyClipsPage(props: { me: DemoUser; users: DemoUser[]; channel: Channel }) {
  return (
    <section aria-labelledby="my-clips-title">
      <h1 id="my-clips-title">My clips</h1>
      <QuotaMeter />
      <ClipLibrary destinations={destinationsFor(props.me, props.users, props.channel)} />
    </section>
  );
}

/** Storage used against the user's quota; re-read on notifications and every few seconds (deletes free space). */
function QuotaMeter() {
  const { client } = useReplayContext('QuotaMeter');
  const [quota, setQuota] = useState<QuotaDto | null>(null);
  const load = useCallback(() => {
    client.getQuota().then(setQuota, () => undefined);
  }, [client]);
  useEffect(() => {
    load();
    const timer = setInterval(load, QUOTA_POLL_MS);
    return () => clearInterval(timer);
  }, [load]);
  useReplayNotifications(load);
  if (!quota) return null;
  const used = quota.usedBytes + quota.reservedBytes;
  return (
    <p className="quota" data-used-bytes={used}>
      <meter id="quota-meter" min={0} max={quota.limitBytes} value={used} aria-label="Storage used" />
      <span>
        {formatBytes(used)} of {formatBytes(quota.limitBytes)} used
      </span>
    </p>
  );
}
