import type { ClipDto, PublicClipDto } from '@livekit-replay/core/contract';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { type ReplayDestination, shareTargetOf } from './capture-replay-modal.js';
import { ReplayDialog } from './dialog.js';
import { formatBytes, formatDate, formatDuration } from './format.js';
import { useReplayContext } from './provider.js';
import { type UseClipsResult, useClips, usePublicClips } from './use-clips.js';

export interface ClipLibraryProps {
  /** Show this user's public clips (read-only) instead of the caller's own. */
  userId?: string;
  /** Where "Share" can post a clip (channels, DMs). Without any, Share is hidden. */
  destinations?: ReplayDestination[];
  pageSize?: number;
  /** Replaces the default card; `actions` are the mutations for that clip. */
  renderClip?(clip: ClipDto | PublicClipDto, actions: ClipActions): ReactNode;
  className?: string;
}

export interface ClipActions {
  own: boolean;
  pending: boolean;
  fileUrl: string;
  downloadUrl: string;
  posterUrl: string | null;
  remove(): Promise<void>;
  setVisibility(visibility: 'public' | 'private'): Promise<void>;
  share(destination: ReplayDestination): Promise<void>;
}

/** The caller's clips (or a user's public ones): a grid with play, download, share, visibility, delete. */
export function ClipLibrary(props: ClipLibraryProps) {
  return props.userId ? <PublicLibrary {...props} userId={props.userId} /> : <OwnLibrary {...props} />;
}

function OwnLibrary(props: ClipLibraryProps) {
  const clips = useClips({ pageSize: props.pageSize });
  return <LibraryGrid {...props} clips={clips} own />;
}

function PublicLibrary(props: ClipLibraryProps & { userId: string }) {
  const clips = usePublicClips(props.userId, { pageSize: props.pageSize });
  return <LibraryGrid {...props} clips={clips} own={false} />;
}

function LibraryGrid(
  props: ClipLibraryProps & { clips: UseClipsResult<ClipDto> | UseClipsResult<PublicClipDto>; own: boolean },
) {
  const { clips, own, destinations = [], renderClip, className } = props;
  const { client } = useReplayContext('ClipLibrary');
  const sentinel = useRef<HTMLDivElement>(null);
  const [confirmDelete, setConfirmDelete] = useState<ClipDto | PublicClipDto | null>(null);
  const [sharing, setSharing] = useState<ClipDto | PublicClipDto | null>(null);
  const { hasMore, loading, loaded, loadMore } = clips;

  // Infinite scroll: the next page when the end of the grid comes into view.
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !hasMore || !loaded || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadMore();
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [hasMore, loaded, loadMore]);

  const actionsFor = (clip: ClipDto | PublicClipDto): ClipActions => ({
    own,
    pending: clips.pending.includes(clip.id),
    fileUrl: client.clipFileUrl(clip.id),
    downloadUrl: client.clipFileUrl(clip.id),
    posterUrl: clip.hasPoster ? client.clipPosterUrl(clip.id) : null,
    remove: () => clips.deleteClip(clip.id),
    setVisibility: (visibility) => clips.setVisibility(clip.id, visibility),
    share: async (destination) => {
      const target = shareTargetOf(destination);
      if (target) await clips.share(clip.id, target);
    },
  });

  return (
    <section
      className={['lkr-library', className].filter(Boolean).join(' ')}
      aria-label={own ? 'My clips' : 'Public clips'}
      aria-busy={loading}
      data-state={
        clips.error && !loaded ? 'error' : !loaded ? 'loading' : clips.items.length === 0 ? 'empty' : 'ready'
      }
    >
      {clips.error ? (
        <p className="lkr-error" role="alert">
          {clips.error.userMessage}
          {!loaded ? (
            <button
              type="button"
              className="lkr-button lkr-button--small lkr-error__retry"
              onClick={() => void loadMore()}
            >
              Try again
            </button>
          ) : null}
        </p>
      ) : null}
      {loaded && clips.items.length === 0 ? (
        <p className="lkr-library__empty">
          {own ? 'No clips yet. Save a replay while you share your screen.' : 'No public clips.'}
        </p>
      ) : null}
      <ul className="lkr-library__grid">
        {clips.items.map((clip) => (
          <li
            key={clip.id}
            className="lkr-library__item"
            data-clip-id={clip.id}
            data-visibility={clip.visibility}
          >
            {renderClip ? (
              renderClip(clip, actionsFor(clip))
            ) : (
              <ClipCard
                clip={clip}
                actions={actionsFor(clip)}
                canShare={own && destinations.length > 0}
                onAskDelete={() => setConfirmDelete(clip)}
                onAskShare={() => setSharing(clip)}
              />
            )}
          </li>
        ))}
      </ul>
      <div ref={sentinel} className="lkr-library__sentinel" />
      {hasMore && loaded ? (
        <button
          type="button"
          className="lkr-button lkr-library__more"
          disabled={loading}
          onClick={() => void loadMore()}
        >
          {loading ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
      {!loaded && loading ? <p className="lkr-hint">Loading clips…</p> : null}
      <ReplayDialog
        open={confirmDelete !== null}
        onClose={() => setConfirmDelete(null)}
        title="Delete this clip?"
      >
        <p>It is removed for everyone it was shared with. This cannot be undone.</p>
        <div className="lkr-actions">
          <button type="button" className="lkr-button" onClick={() => setConfirmDelete(null)}>
            Cancel
          </button>
          <button
            type="button"
            className="lkr-button lkr-button--danger"
            onClick={() => {
              const clip = confirmDelete;
              setConfirmDelete(null);
              if (clip)
                void actionsFor(clip)
                  .remove()
                  .catch(() => {});
            }}
          >
            Delete
          </button>
        </div>
      </ReplayDialog>
      <ShareDialog
        clip={sharing}
        destinations={destinations}
        onClose={() => setSharing(null)}
        onShare={(clip, destination) => actionsFor(clip).share(destination)}
      />
    </section>
  );
}

function ClipCard(props: {
  clip: ClipDto | PublicClipDto;
  actions: ClipActions;
  canShare: boolean;
  onAskDelete(): void;
  onAskShare(): void;
}) {
  const { clip, actions, canShare } = props;
  const [playing, setPlaying] = useState(false);
  const title = clip.title ?? `Clip of ${formatDate(clip.createdAt)}`;
  return (
    <article className="lkr-clip" aria-label={title} data-pending={actions.pending || undefined}>
      <div className="lkr-clip__media">
        {playing ? (
          // biome-ignore lint/a11y/useMediaCaption: a screen recording has no captions to offer
          <video className="lkr-clip__video" src={actions.fileUrl} controls autoPlay playsInline />
        ) : (
          <button
            type="button"
            className="lkr-clip__play"
            onClick={() => setPlaying(true)}
            aria-label={`Play ${title}`}
          >
            {actions.posterUrl ? (
              <img src={actions.posterUrl} alt="" loading="lazy" />
            ) : (
              <span className="lkr-clip__noposter" />
            )}
            <span className="lkr-clip__playicon" aria-hidden="true">
              ▶
            </span>
          </button>
        )}
        {/* Outside the button: its accessible name is "Play <title>", and the length is read below. */}
        {playing ? null : <span className="lkr-clip__duration">{formatDuration(clip.durationSeconds)}</span>}
        {!playing && clip.visibility === 'public' ? <span className="lkr-badge">Public</span> : null}
      </div>
      <div className="lkr-clip__body">
        <h3 className="lkr-clip__title">{title}</h3>
        <p className="lkr-clip__meta">
          <span>{formatBytes(clip.sizeBytes)}</span>
          <span aria-hidden="true"> · </span>
          <time dateTime={clip.createdAt}>{formatDate(clip.createdAt)}</time>
        </p>
        <div className="lkr-clip__actions">
          <a
            className="lkr-button lkr-button--small"
            href={actions.downloadUrl}
            download
            aria-label={`Download ${title}`}
          >
            Download
          </a>
          {canShare ? (
            <button
              type="button"
              className="lkr-button lkr-button--small"
              disabled={actions.pending}
              onClick={props.onAskShare}
            >
              Share
            </button>
          ) : null}
          {actions.own ? (
            <>
              <button
                type="button"
                className="lkr-button lkr-button--small"
                aria-pressed={clip.visibility === 'public'}
                disabled={actions.pending}
                onClick={() =>
                  void actions
                    .setVisibility(clip.visibility === 'public' ? 'private' : 'public')
                    .catch(() => {})
                }
              >
                {clip.visibility === 'public' ? 'Public' : 'Private'}
              </button>
              <button
                type="button"
                className="lkr-button lkr-button--small lkr-button--danger"
                disabled={actions.pending}
                onClick={props.onAskDelete}
                aria-label={`Delete ${title}`}
              >
                Delete
              </button>
            </>
          ) : null}
        </div>
      </div>
    </article>
  );
}

function ShareDialog(props: {
  clip: ClipDto | PublicClipDto | null;
  destinations: ReplayDestination[];
  onClose(): void;
  onShare(clip: ClipDto | PublicClipDto, destination: ReplayDestination): Promise<void>;
}) {
  const targets = props.destinations.filter((d) => d.kind !== 'library');
  const [choice, setChoice] = useState(targets[0]?.id ?? '');
  const [busy, setBusy] = useState(false);
  const selectId = useId();
  const destination = targets.find((d) => d.id === choice) ?? targets[0];
  return (
    <ReplayDialog open={props.clip !== null} onClose={props.onClose} title="Share this clip">
      <label className="lkr-field" htmlFor={selectId}>
        <span>Share to</span>
        <select id={selectId} value={choice} onChange={(e) => setChoice(e.target.value)}>
          {targets.map((d) => (
            <option key={d.id} value={d.id}>
              {d.kind === 'channel' ? `# ${d.label}` : `@ ${d.label}`}
            </option>
          ))}
        </select>
      </label>
      <div className="lkr-actions">
        <button type="button" className="lkr-button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="lkr-button lkr-button--primary"
          disabled={busy || !destination}
          onClick={async () => {
            if (!props.clip || !destination) return;
            setBusy(true);
            try {
              await props.onShare(props.clip, destination);
              props.onClose();
            } catch {
              // The list shows the error's userMessage.
              props.onClose();
            } finally {
              setBusy(false);
            }
          }}
        >
          Share
        </button>
      </div>
    </ReplayDialog>
  );
}
