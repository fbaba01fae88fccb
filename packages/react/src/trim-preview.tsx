import type { ClipDto, PreviewDto } from '@livekit-replay/core/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Thumbnails } from './client.js';
import { type ReplayErrorInfo, toErrorInfo } from './errors.js';
import { formatDuration } from './format.js';
import { frameStep, previewTimeToWallClock } from './preview-clock.js';
import { useReplayContext } from './provider.js';
import { RangeSlider } from './range-slider.js';
import { useCaptureReplay } from './use-capture-replay.js';
import { useHls } from './use-hls.js';

export interface TrimRange {
  /** Absolute instants (ISO, millisecond precision) of the first and last instant kept. */
  startAt: string;
  endAt: string;
  durationSeconds: number;
}

export interface TrimPreviewProps {
  /** Length of the first selection, ending at the newest moment (default 60 s). */
  initialSeconds?: number;
  /** Called with the selection instead of saving it here (the modal does this). */
  onConfirm?(range: TrimRange): void;
  /** Called after TrimPreview saved the clip itself (no `onConfirm`). */
  onSaved?(clip: ClipDto): void;
  onCancel?(): void;
  confirmLabel?: string;
  /** The parent is saving (with `onConfirm`): the button is disabled. */
  busy?: boolean;
  /** Filmstrip pictures (default 10). */
  thumbnailCount?: number;
  className?: string;
}

type Load =
  | { state: 'loading' }
  | { state: 'error'; error: ReplayErrorInfo }
  | { state: 'ready'; preview: PreviewDto };

/** Frame-exact trimming of the buffer before saving: player, filmstrip and a two-thumb slider. */
export function TrimPreview(props: TrimPreviewProps) {
  const { initialSeconds = 60, onConfirm, onSaved, onCancel, busy, thumbnailCount = 10, className } = props;
  const { client } = useReplayContext('TrimPreview');
  const capture = useCaptureReplay();
  const video = useRef<HTMLVideoElement>(null);
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [thumbs, setThumbs] = useState<Thumbnails | null>(null);
  const [range, setRange] = useState({ start: 0, end: 0 });
  const [current, setCurrent] = useState(0);
  const [playing, setPlaying] = useState(false);
  const preview = load.state === 'ready' ? load.preview : null;
  const step = preview ? frameStep(preview) : 1 / 30;
  const duration = preview?.durationSeconds ?? 0;

  useEffect(() => {
    let cancelled = false;
    client.getPreview().then(
      (p) => {
        if (cancelled) return;
        const fps = 1 / frameStep(p);
        const end = Math.floor(p.durationSeconds * fps) / fps;
        const start = Math.max(0, Math.round((end - initialSeconds) * fps) / fps);
        setRange({ start, end });
        setLoad({ state: 'ready', preview: p });
      },
      (error) => !cancelled && setLoad({ state: 'error', error: toErrorInfo(error) }),
    );
    client.getThumbnails({ count: thumbnailCount, width: 160 }).then(
      (t) => !cancelled && setThumbs(t),
      () => {}, // the filmstrip is decoration: the slider works without it
    );
    return () => {
      cancelled = true;
    };
  }, [client, initialSeconds, thumbnailCount]);

  const seek = useCallback((seconds: number) => {
    const element = video.current;
    if (element) element.currentTime = seconds;
    setCurrent(seconds);
  }, []);

  const hls = useHls(video, preview ? client.url({ relative: preview.playlistUrl }) : null, client);

  // Once playable, show the first frame of the selection, not the oldest moment in the buffer.
  const shownStart = useRef(false);
  useEffect(() => {
    if (hls !== 'ready' || shownStart.current) return;
    shownStart.current = true;
    seek(range.start);
  }, [hls, range.start, seek]);

  // Loop inside the selection while playing.
  useEffect(() => {
    const element = video.current;
    if (!element || !playing) return;
    let frame = 0;
    const tick = () => {
      if (element.currentTime >= range.end || element.currentTime < range.start - step) {
        element.currentTime = range.start;
      }
      setCurrent(element.currentTime);
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [playing, range, step]);

  const togglePlay = () => {
    const element = video.current;
    if (!element) return;
    if (element.paused) {
      if (element.currentTime < range.start || element.currentTime >= range.end)
        element.currentTime = range.start;
      void element.play();
    } else element.pause();
  };

  const selection = (): TrimRange | null => {
    if (!preview) return null;
    const startAt = previewTimeToWallClock(preview, range.start);
    const endAt = previewTimeToWallClock(preview, range.end);
    return {
      startAt: new Date(startAt).toISOString(),
      endAt: new Date(endAt).toISOString(),
      durationSeconds: (endAt - startAt) / 1000,
    };
  };

  const confirm = async () => {
    const chosen = selection();
    if (!chosen) return;
    if (onConfirm) return onConfirm(chosen);
    const clip = await capture.capture({ startAt: chosen.startAt, endAt: chosen.endAt });
    if (clip) onSaved?.(clip);
  };

  const saving = busy || capture.phase === 'saving';
  const error = load.state === 'error' ? load.error : capture.error;
  return (
    <section
      className={['lkr-trim', className].filter(Boolean).join(' ')}
      aria-label="Trim the replay"
      data-state={load.state}
      data-playing={playing || undefined}
      data-player={hls}
    >
      <div className="lkr-trim__stage">
        <video
          ref={video}
          className="lkr-trim__video"
          playsInline
          muted
          onPlay={() => setPlaying(true)}
          onPause={() => setPlaying(false)}
          onSeeked={(e) => setCurrent(e.currentTarget.currentTime)}
          onClick={togglePlay}
        />
        {load.state === 'loading' || (preview && hls === 'loading') ? (
          <p className="lkr-trim__overlay">Loading the preview…</p>
        ) : null}
        {hls === 'error' && preview ? (
          <p className="lkr-trim__overlay">This browser cannot play the preview.</p>
        ) : null}
      </div>
      {preview ? (
        <>
          <RangeSlider
            min={0}
            max={Math.floor(duration / step) * step}
            start={range.start}
            end={range.end}
            step={step}
            current={current}
            labels={{ start: 'Clip start', end: 'Clip end' }}
            onChange={(next, moved) => {
              setRange(next);
              video.current?.pause();
              seek(moved === 'start' ? next.start : next.end);
            }}
            background={
              <div className="lkr-filmstrip" aria-hidden="true" data-lkr-track-part="true">
                {thumbs?.items.map((t) => (
                  <img
                    key={t.name}
                    src={client.url({ relative: t.url })}
                    alt=""
                    draggable={false}
                    onError={(e) => e.currentTarget.setAttribute('data-broken', '')}
                  />
                ))}
              </div>
            }
          />
          <div className="lkr-trim__controls">
            <button type="button" className="lkr-button" onClick={togglePlay} aria-pressed={playing}>
              {playing ? 'Pause' : 'Play selection'}
            </button>
            <dl className="lkr-trim__times">
              <div>
                <dt>Current</dt>
                <dd data-testid="trim-current">{formatDuration(current, true)}</dd>
              </div>
              <div>
                <dt>Start</dt>
                <dd data-testid="trim-start">{formatDuration(range.start, true)}</dd>
              </div>
              <div>
                <dt>End</dt>
                <dd data-testid="trim-end">{formatDuration(range.end, true)}</dd>
              </div>
              <div>
                <dt>Length</dt>
                <dd data-testid="trim-length">{formatDuration(range.end - range.start, true)}</dd>
              </div>
            </dl>
          </div>
        </>
      ) : null}
      {!onConfirm && capture.phase === 'saving' ? (
        <progress className="lkr-progress" value={capture.progress} max={1} aria-label="Saving the clip" />
      ) : null}
      {error ? (
        <p className="lkr-error" role="alert">
          {error.userMessage}
        </p>
      ) : null}
      <div className="lkr-actions">
        {onCancel ? (
          <button type="button" className="lkr-button" onClick={onCancel}>
            Back
          </button>
        ) : null}
        <button
          type="button"
          className="lkr-button lkr-button--primary"
          disabled={!preview || saving}
          onClick={() => void confirm()}
        >
          {saving ? 'Saving…' : (props.confirmLabel ?? 'Save selection')}
        </button>
      </div>
    </section>
  );
}
