import type { ClipDto, PublicClipDto } from '@livekit-replay/core/contract';
import { formatDuration, useReplayContext } from '@livekit-replay/react';
import { useEffect, useState } from 'react';
import type { ChatMessage, DemoUser } from '../demo-api.js';

/** A shared clip in the feed, with an inline player; says so when the clip went private or away. */
export function ClipMessage(props: { message: ChatMessage; author: DemoUser | undefined; note?: string }) {
  const { client } = useReplayContext('ClipMessage');
  const { message } = props;
  const [clip, setClip] = useState<ClipDto | PublicClipDto | null | 'gone'>(null);

  useEffect(() => {
    let live = true;
    client.getClip(message.clipId).then(
      (found) => live && setClip(found),
      () => live && setClip('gone'),
    );
    return () => {
      live = false;
    };
  }, [client, message.clipId]);

  return (
    <article className="message" aria-label={`Message from ${props.author?.name ?? message.authorId}`}>
      <header>
        <strong>{props.author?.name ?? message.authorId}</strong>
        {props.note && <span className="message-note">{props.note}</span>}
        <time dateTime={message.createdAt}>{new Date(message.createdAt).toLocaleTimeString()}</time>
      </header>
      {message.text && <p>{message.text}</p>}
      {clip === null && <p className="message-note">Loading clip…</p>}
      {clip === 'gone' && (
        <p className="message-note" data-clip-unavailable="">
          This clip is private or was deleted.
        </p>
      )}
      {clip !== null && clip !== 'gone' && (
        <figure className="message-clip">
          {/* biome-ignore lint/a11y/useMediaCaption: screen recordings have no caption track */}
          <video
            controls
            preload="metadata"
            src={client.clipFileUrl(clip.id)}
            poster={clip.hasPoster ? client.clipPosterUrl(clip.id) : undefined}
            aria-label={`Clip: ${clip.title ?? 'replay'}`}
            onError={() => setClip('gone')}
          />
          <figcaption>
            {clip.title ?? 'Replay'} · {formatDuration(clip.durationSeconds)}
          </figcaption>
        </figure>
      )}
    </article>
  );
}
