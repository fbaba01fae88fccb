import { CaptureReplayModal, formatDuration, useReplayBuffer } from '@livekit-replay/react';
import { Room, RoomEvent, Track } from 'livekit-client';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type DemoUser, demoApi, type ShareMode } from '../demo-api.js';
import { ClipMessage } from './clip-message.js';
import { usePolled } from './direct-messages.js';
import { destinationsFor } from './my-clips.js';

/** The voice channel: the share tile, the buffer indicator, "Save replay", and the channel's feed. */
export function VoiceChannelPage(props: { me: DemoUser; users: DemoUser[]; mode: ShareMode }) {
  const { me, users, mode } = props;
  const emulated = mode.mode === 'emulated';
  // Emulated mode never connects this Room: the server drives the buffer from (emulated) room webhooks.
  const room = useMemo(() => new Room(), []);
  const share = useScreenShare(room, mode);
  const buffer = useReplayBuffer({
    room,
    autoStart: mode.autoStart,
    channelId: mode.channel.id,
    communityId: mode.channel.communityId,
  });
  const [saveOpen, setSaveOpen] = useState(false);
  const loadFeed = useCallback(() => demoApi.channelMessages(mode.channel.id), [mode.channel.id]);
  const messages = usePolled(loadFeed);

  return (
    <div className="channel">
      <section className="share-tile" aria-labelledby="share-title" data-sharing={share.sharing || undefined}>
        <ShareScreen room={room} emulated={emulated} sharing={share.sharing} name={me.name} />
        <div className="share-body">
          <h1 id="share-title">Voice channel · {mode.channel.name}</h1>
          <p className="share-state">
            {share.sharing ? 'You are sharing your screen.' : 'You are not sharing your screen.'}
            {emulated && (
              <span className="share-emulated">
                Emulated share: no LiveKit server is configured, so the built-in egress emulator plays your
                screen.
              </span>
            )}
          </p>
          <div className="share-actions">
            {/* Not `disabled` while busy: a disabled button drops the keyboard focus. */}
            <button
              type="button"
              onClick={() => !share.busy && void share.toggle()}
              aria-disabled={share.busy || undefined}
            >
              {share.sharing ? 'Stop sharing' : 'Share screen'}
            </button>
            <button
              type="button"
              className="primary"
              onClick={() => setSaveOpen(true)}
              disabled={!buffer.canCapture}
            >
              Save replay
            </button>
          </div>
          <p className="buffer-indicator" data-phase={buffer.phase}>
            {bufferLabel(buffer.phase, buffer.bufferedSeconds, buffer.error?.userMessage)}
          </p>
          {/* Announces phase changes only: the buffered time ticks every few seconds. */}
          <p className="visually-hidden" aria-live="polite">
            {bufferLabel(buffer.phase, null, buffer.error?.userMessage)}
          </p>
          {share.error && <p role="alert">{share.error}</p>}
        </div>
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
          <ClipMessage
            key={message.id}
            message={message}
            author={users.find((u) => u.id === message.authorId)}
          />
        ))}
      </section>
    </div>
  );
}

/** The share tile: your own screen (real LiveKit), or a placeholder for the emulated one. */
function ShareScreen(props: { room: Room; emulated: boolean; sharing: boolean; name: string }) {
  const video = useRef<HTMLVideoElement>(null);
  const { room, emulated, sharing } = props;
  useEffect(() => {
    const element = video.current;
    const track = room.localParticipant.getTrackPublication(Track.Source.ScreenShare)?.track;
    if (emulated || !sharing || !element || !track) return;
    track.attach(element);
    return () => void track.detach(element);
  }, [room, emulated, sharing]);
  return (
    <div className="share-screen" data-sharing={sharing || undefined}>
      {sharing && <span className="share-live">LIVE</span>}
      {sharing && !emulated ? (
        <video ref={video} muted playsInline aria-label={`${props.name}'s screen`} />
      ) : (
        <span>{sharing ? `${props.name}'s screen (emulated)` : 'Not sharing'}</span>
      )}
    </div>
  );
}

/** What the indicator says; without `seconds`, only the phase (for the live region). */
function bufferLabel(phase: string, seconds: number | null, error: string | undefined): string {
  switch (phase) {
    case 'starting':
      return 'Starting the replay buffer…';
    case 'warming-up':
      return 'Replay buffer warming up…';
    case 'recording':
      return seconds === null
        ? 'Replay buffer recording'
        : `Replay buffer recording · ${formatDuration(seconds)} buffered`;
    case 'stopping':
      return 'Stopping the replay buffer…';
    case 'stopped':
      return seconds
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
        setSharing(
          room.localParticipant.getTrackPublication(Track.Source.ScreenShare) !== undefined && !sharing,
        );
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  }, [mode, room, sharing]);

  return { sharing, busy, error, toggle };
}
