import { type KeyboardEvent, type PointerEvent, type ReactNode, useRef } from 'react';
import { formatDuration, spokenDuration } from './format.js';

export interface RangeSliderProps {
  /** Seconds. */
  min: number;
  max: number;
  start: number;
  end: number;
  /** One arrow key press (one frame). */
  step: number;
  /** PageUp / PageDown (default 10 s). */
  pageStep?: number;
  /** The playhead, drawn between the thumbs (optional). */
  current?: number;
  onChange(range: { start: number; end: number }, moved: 'start' | 'end'): void;
  labels?: { start: string; end: string };
  /** Drawn under the track (e.g. the filmstrip). */
  background?: ReactNode;
}

/** Snaps to the step grid (frames), so a value is always a whole number of steps from `min`. */
function snap(value: number, min: number, step: number): number {
  return min + Math.round((value - min) / step) * step;
}

/**
 * A two-thumb range slider after the WAI-ARIA APG multi-thumb pattern: each thumb is a
 * `role="slider"` with its own label and time text; arrows move one step, Shift+arrows one
 * second, PageUp/PageDown ten, Home/End to the limits; the thumbs never cross (at least one
 * step apart).
 */
export function RangeSlider(props: RangeSliderProps) {
  const { min, max, start, end, step, pageStep = 10, current, onChange, background } = props;
  const labels = props.labels ?? { start: 'Clip start', end: 'Clip end' };
  const track = useRef<HTMLDivElement>(null);
  const dragging = useRef<'start' | 'end' | null>(null);
  const span = Math.max(max - min, step);
  const percent = (v: number) => `${((v - min) / span) * 100}%`;

  const move = (thumb: 'start' | 'end', raw: number) => {
    const value = snap(raw, min, step);
    if (thumb === 'start') {
      const next = Math.min(Math.max(value, min), end - step);
      if (next !== start) onChange({ start: next, end }, 'start');
    } else {
      const next = Math.max(Math.min(value, max), start + step);
      if (next !== end) onChange({ start, end: next }, 'end');
    }
  };

  const onKeyDown = (thumb: 'start' | 'end') => (event: KeyboardEvent) => {
    const value = thumb === 'start' ? start : end;
    const unit = event.shiftKey ? Math.max(1, step) : step;
    let next: number | null = null;
    switch (event.key) {
      case 'ArrowLeft':
      case 'ArrowDown':
        next = value - unit;
        break;
      case 'ArrowRight':
      case 'ArrowUp':
        next = value + unit;
        break;
      case 'PageDown':
        next = value - pageStep;
        break;
      case 'PageUp':
        next = value + pageStep;
        break;
      case 'Home':
        next = thumb === 'start' ? min : start + step;
        break;
      case 'End':
        next = thumb === 'start' ? end - step : max;
        break;
      default:
        return;
    }
    event.preventDefault();
    move(thumb, next);
  };

  const valueAt = (clientX: number) => {
    const rect = track.current?.getBoundingClientRect();
    if (!rect || rect.width === 0) return min;
    return min + ((clientX - rect.left) / rect.width) * span;
  };

  const onPointerDown = (thumb: 'start' | 'end') => (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    event.currentTarget.focus();
    dragging.current = thumb;
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    if (dragging.current) move(dragging.current, valueAt(event.clientX));
  };
  const onPointerUp = () => {
    dragging.current = null;
  };
  const onTrackPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (event.target !== event.currentTarget && !(event.target as HTMLElement).dataset.lkrTrackPart) return;
    const value = valueAt(event.clientX);
    move(Math.abs(value - start) <= Math.abs(value - end) ? 'start' : 'end', value);
  };

  const thumb = (which: 'start' | 'end') => {
    const value = which === 'start' ? start : end;
    return (
      <div
        role="slider"
        tabIndex={0}
        className="lkr-range__thumb"
        data-thumb={which}
        aria-label={labels[which]}
        aria-valuemin={which === 'start' ? min : start + step}
        aria-valuemax={which === 'start' ? end - step : max}
        aria-valuenow={Number(value.toFixed(3))}
        aria-valuetext={spokenDuration(value - min)}
        title={`${labels[which]}: ${formatDuration(value - min, true)}`}
        style={{ left: percent(value) }}
        onKeyDown={onKeyDown(which)}
        onPointerDown={onPointerDown(which)}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      />
    );
  };

  return (
    <div className="lkr-range" data-part="range">
      {/* Pointer users can also press the track: keyboard users have the thumbs. */}
      <div
        ref={track}
        className="lkr-range__track"
        onPointerDown={onTrackPointerDown}
        data-lkr-track-part="true"
      >
        {background}
        <div
          className="lkr-range__dim"
          data-lkr-track-part="true"
          style={{ left: 0, width: percent(start) }}
        />
        <div
          className="lkr-range__dim"
          data-lkr-track-part="true"
          style={{ left: percent(end), right: 0, width: 'auto' }}
        />
        <div
          className="lkr-range__selection"
          data-lkr-track-part="true"
          style={{ left: percent(start), width: `calc(${percent(end)} - ${percent(start)})` }}
        />
        {current !== undefined ? (
          <div className="lkr-range__playhead" style={{ left: percent(current) }} />
        ) : null}
        {thumb('start')}
        {thumb('end')}
      </div>
    </div>
  );
}
