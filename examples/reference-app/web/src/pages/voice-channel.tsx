import { CaptureReplayModal, formatDuration, useReplayBuffer } from '@livekit-replay/react';
import { Room, RoomEvent, Track } from 'livekit-client';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type ChatMessage, type DemoUser, demoApi, type ShareMode } from '../demo-api.js';
import { ClipMessage } from './clip-message.js';
import { destinationsFor } from './my-clips.js';

const FEED_POLL_MS = 3000;

/** The voice channel: the share tile, the buffer indicator, "Save replay", and the channel's feed. */
export function VoiceChannelPage(props: { me: DemoUser; users: DemoUser[]; mode: ShareMode }) {
  const { me, users, mode } = props;
  const emulated = mode.mode === 'emulated';
  // Emulated mode never connects this Room: the server drives the buffer from room webhooks.
  const room = useMemo(() => new Room(), []);
  const share = useScreenShare(room, mode);
  const buffer = useReplayBuffer({
    room,
    autoStart: emulated,
    channelId: mode.channel.id,
    communityId: mode.channel.communityId,
  });
  const [saveOpen, setSaveOpen] = useState(false);
  const messages = useChannelFeed(mode.channel.id);

  return (
    <div className="channel">
      <section className="share-tile" aria-labelledby="share-title" data-sharing={share.sharing || undefined}>
        <h1 id="share-title">Voice channel · {mode.channel.name}</h1>
        <p className="share-state">
          {share.sharing ? 'You are sharing your screen' : 'You are not sharing your screen'}
          {emulated && <span className="share-emulated"> (emulated: no LiveKit server configured)</span>}
        </p>
        <div className="share-actions">
          <button type="button" onClick={() => void share.toggle()} disabled={share.busy} aria-pressed={share.sharing}>
            {share.sharing ? 'Stop sharing' : 'Share screen'}
          </button>
          <button type="button" className="primary" onClick={() => setSaveOpen(true)} disabled={!buffer.canCapture}>
            Save replay
          </button>
        </div>
        <p className="buffer-indicator" data-phase={buffer.phase} aria-live="polite">
          {bufferLabel(buffer.phase, buffer.bufferedSeconds, buffer.error?.userMessage)}
        </p>
        {share.error && <p role="alert">{share.error}</p>}
      </section>
      <CaptureReplayModal
        open={saveOpen}
        onClose={() => setSaveOpen(false)}
        buffer={buffer}
        destinations={destinationsFor(me, users, mode.channel)}
      />
      <section className="feed" aria-labelledby="feed-title">
        <h2 id="feed-title">Messages in #{mode.channel.name}</h2>
        {messages.length === 0 && <p className="feed-empty">No clips shared here yet.</p>}
        {messages.map((message) => (
          <ClipMessage key={message.id} message={message} author={users.find((u) => u.id === message.authorId)} />
        ))}
      </section>
    </div>
  );
}

function bufferLabel(phase: string, seconds: number, error: string | undefined): string {
  switch (phase) {
    case 'starting':
      return 'Starting the replay buffer…';
    case 'warming-up':
      return 'Replay buffer warming up…';
    case 'recording':
      return `Replay buffer recording · ${formatDuration(seconds)} buffered`;
    case 'stopping':
      return 'Stopping the replay buffer…';
    case 'stopped':
      return seconds > 0
        ? `Replay buffer stopped · ${formatDuration(seconds)} can still be saved for a few minutes`
        : 'Replay buffer stopped';
    case 'failed':
      return error ?? 'The replay buffer failed.';
    default:
      return 'Share your screen to start the replay buffer.';
  }
}

/** Sharing through a real LiveKit room, or (emulated) asking the server to play a sharing participant. */
function useScreenShare(room: Room, mode: ShareMode) {
  const [sharing, setSharing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (mode.mode === 'emulated') {
      void demoApi.sharing().then((r) => setSharing(r.sharing));
      return;
    }
    const update = () => setSharing(room.localParticipant.isScreenShareEnabled);
    room.on(RoomEvent.LocalTrackPublished, update).on(RoomEvent.LocalTrackUnpublished, update);
    void demoApi
      .livekitToken()
      .then(({ token }) => room.connect(mode.livekitUrl as string, token))
      .catch((e: Error) => setError(`Could not join the voice channel: ${e.message}`));
    return () => {
      room.off(RoomEvent.LocalTrackPublished, update).off(RoomEvent.LocalTrackUnpublished, update);
      void room.disconnect();
    };
  }, [room, mode]);

  const toggle = useCallback(async () => {
    setBusy(true);
    setError(null);
    try {
      if (mode.mode === 'emulated') {
        setSharing((await (sharing ? demoApi.stopShare() : demoApi.startShare())).sharing);
      } else {
        await room.localParticipant.setScreenShareEnabled(!sharing, { audio: true });
        setSharing(room.localParticipant.getTrackPublication(Track.Source.ScreenShare) !== undefined && !sharing);
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }, [mode, room, sharing]);

  return { sharing, busy, error, toggle };
}

function useChannelFeed(channelId: string): ChatMessage[] {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  useEffect(() => {
    let live = true;
    const load = () =>
      demoApi.channelMessages(channelId).then(
        (all) => live && setMessages((before) => (before.length === all.length ? before : all)),
        () => undefined, // a missed poll is retried on the next tick
      );
    void load();
    const timer = setInterval(load, FEED_POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [channelId]);
  return messages;
}
