import type { ClipDto, ShareTarget } from '@livekit-replay/core/contract';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { ReplayDialog } from './dialog.js';
import { formatBytes, formatDuration, formatPreset } from './format.js';
import type { SizeEstimate } from './replay-buffer-store.js';
import { TrimPreview, type TrimRange } from './trim-preview.js';
import { useCaptureReplay } from './use-capture-replay.js';

/** Where a saved clip goes: only the library, or also posted to a channel or a DM. */
export type ReplayDestination =
  | { kind: 'library'; id: string; label: string }
  | { kind: 'channel'; id: string; label: string; channelId: string }
  | { kind: 'dm'; id: string; label: string; recipientUserId: string };

export const LIBRARY_DESTINATION: ReplayDestination = {
  kind: 'library',
  id: 'library',
  label: 'My clips only',
};

export function shareTargetOf(destination: ReplayDestination): ShareTarget | undefined {
  if (destination.kind === 'channel') return { target: 'channel', channelId: destination.channelId };
  if (destination.kind === 'dm') return { target: 'dm', recipientUserId: destination.recipientUserId };
  return undefined;
}

export interface CaptureReplayModalProps {
  open: boolean;
  onClose(): void;
  /** From useReplayBuffer(): buffered seconds and the size estimates per preset. */
  buffer: { bufferedSeconds: number; sizeEstimates: SizeEstimate[]; canCapture: boolean };
  /** Preset lengths in seconds (default 1, 2, 5 and 10 minutes). */
  presets?: number[];
  /** The app's channels and DMs; "My clips only" is always first. */
  destinations?: ReplayDestination[];
  onSaved?(clip: ClipDto): void;
  className?: string;
}

const DEFAULT_PRESETS = [60, 120, 300, 600];

/** "Save a replay": a preset length (or a trimmed range), a destination, progress, errors. */
export function CaptureReplayModal(props: CaptureReplayModalProps) {
  const { open, onClose, buffer, presets = DEFAULT_PRESETS, destinations = [], onSaved, className } = props;
  const capture = useCaptureReplay();
  const choices = [LIBRARY_DESTINATION, ...destinations.filter((d) => d.kind !== 'library')];
  // A preset longer than what is buffered is disabled (the server would clamp it, and the
  // user would get less than the button said); half a second of slack for rounding.
  const available = (seconds: number) =>
    (buffer.sizeEstimates.find((e) => e.seconds === seconds)?.available ?? true) &&
    buffer.bufferedSeconds + 0.5 >= seconds;
  // While no preset fits (the first minute of a share), offer everything that is buffered, so a
  // save is possible as soon as the server says one is.
  const everything = Math.floor(buffer.bufferedSeconds);
  const offerEverything = buffer.canCapture && everything >= 1 && !presets.some(available);
  const lengths = offerEverything ? [...presets, everything] : presets;
  const isEverything = (seconds: number) => offerEverything && seconds === everything;
  const labelOf = (seconds: number) =>
    isEverything(seconds) ? `All ${formatDuration(everything)} buffered` : `Last ${formatPreset(seconds)}`;
  const saveLabelOf = (seconds: number) =>
    isEverything(seconds) ? `Save all ${formatDuration(everything)}` : `Save last ${formatPreset(seconds)}`;
  const firstAvailable = lengths.find(available) ?? presets[0] ?? 60;
  const [preset, setPreset] = useState(firstAvailable);
  const [trim, setTrim] = useState(false);
  const [trimming, setTrimming] = useState(false);
  const [destinationId, setDestinationId] = useState(LIBRARY_DESTINATION.id);
  const ids = { presets: useId(), destination: useId(), trim: useId() };

  // A fresh form each time the modal opens.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs only when the modal opens
  useEffect(() => {
    if (!open) return;
    setTrimming(false);
    setPreset((p) => (available(p) ? p : firstAvailable));
    if (capture.phase !== 'saving') capture.reset();
  }, [open]);

  const destination = choices.find((d) => d.id === destinationId) ?? LIBRARY_DESTINATION;
  const saving = capture.phase === 'saving';

  const save = async (request: { durationSeconds: number } | TrimRange) => {
    const body =
      'startAt' in request
        ? { startAt: request.startAt, endAt: request.endAt }
        : { durationSeconds: request.durationSeconds };
    const clip = await capture.capture({ ...body, share: shareTargetOf(destination) });
    if (clip) onSaved?.(clip);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (trim) setTrimming(true);
    else void save({ durationSeconds: preset });
  };

  const state = saving
    ? 'saving'
    : capture.phase === 'saved'
      ? 'saved'
      : capture.phase === 'failed'
        ? 'failed'
        : 'idle';
  return (
    <ReplayDialog
      open={open}
      onClose={onClose}
      title={trimming ? 'Trim the replay' : 'Save a replay'}
      className={['lkr-capture', className].filter(Boolean).join(' ')}
      state={state}
    >
      {trimming ? (
        <TrimPreview
          initialSeconds={preset}
          busy={saving}
          confirmLabel="Save clip"
          onCancel={() => setTrimming(false)}
          onConfirm={(range) => void save(range)}
        />
      ) : (
        <form className="lkr-capture__form" onSubmit={onSubmit}>
          <p className="lkr-capture__buffered">
            Buffered: <strong>{formatDuration(buffer.bufferedSeconds)}</strong>
          </p>
          <fieldset className="lkr-presets" disabled={saving}>
            <legend>Length</legend>
            {lengths.map((seconds) => {
              const estimate = buffer.sizeEstimates.find((e) => e.seconds === seconds);
              const enabled = available(seconds);
              const reasonId = `${ids.presets}-${seconds}-reason`;
              return (
                <label key={seconds} className="lkr-preset" data-disabled={!enabled || undefined}>
                  <input
                    type="radio"
                    name={ids.presets}
                    value={seconds}
                    checked={preset === seconds}
                    disabled={!enabled}
                    data-autofocus={preset === seconds ? true : undefined}
                    aria-describedby={reasonId}
                    onChange={() => setPreset(seconds)}
                  />
                  <span className="lkr-preset__length">{labelOf(seconds)}</span>
                  <span className="lkr-preset__detail" id={reasonId}>
                    {enabled
                      ? estimate
                        ? `about ${formatBytes(estimate.bytes)}`
                        : 'size unknown'
                      : `only ${formatDuration(buffer.bufferedSeconds)} buffered`}
                  </span>
                </label>
              );
            })}
          </fieldset>
          <label className="lkr-check" htmlFor={ids.trim}>
            <input
              id={ids.trim}
              type="checkbox"
              checked={trim}
              disabled={saving}
              onChange={(e) => setTrim(e.target.checked)}
            />
            Trim before saving
          </label>
          <label className="lkr-field" htmlFor={ids.destination}>
            <span>Save to</span>
            <select
              id={ids.destination}
              value={destinationId}
              disabled={saving}
              onChange={(e) => setDestinationId(e.target.value)}
            >
              {choices.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.kind === 'channel' ? `# ${d.label}` : d.kind === 'dm' ? `@ ${d.label}` : d.label}
                </option>
              ))}
            </select>
          </label>
          {!buffer.canCapture && !saving ? (
            <p className="lkr-hint">Nothing to save yet: the buffer is warming up.</p>
          ) : null}
          <div className="lkr-actions">
            <button type="button" className="lkr-button" onClick={onClose}>
              {capture.phase === 'saved' ? 'Close' : 'Cancel'}
            </button>
            <button
              type="submit"
              className="lkr-button lkr-button--primary"
              disabled={saving || !buffer.canCapture || (!trim && !available(preset))}
            >
              {saving ? 'Saving…' : trim ? 'Trim…' : saveLabelOf(preset)}
            </button>
          </div>
        </form>
      )}
      {saving ? (
        <div className="lkr-capture__progress">
          {/* Indeterminate until the server reports progress. */}
          <progress
            className="lkr-progress"
            value={capture.progress > 0 ? capture.progress : undefined}
            max={1}
            aria-label="Saving the clip"
          />
          <span aria-live="polite">
            {capture.stage === 'waiting'
              ? 'Waiting for the newest moments…'
              : capture.stage === 'storing'
                ? 'Storing…'
                : capture.progress > 0
                  ? `Saving… ${Math.round(capture.progress * 100)}%`
                  : 'Saving…'}
          </span>
        </div>
      ) : null}
      {capture.phase === 'saved' && capture.clip ? (
        <p className="lkr-success" role="status">
          Saved a {formatDuration(capture.clip.durationSeconds)} clip ({formatBytes(capture.clip.sizeBytes)})
          {destination.kind === 'library' ? ' to your clips.' : ` and shared it to ${destination.label}.`}
        </p>
      ) : null}
      {capture.phase === 'failed' && capture.error ? (
        <p className="lkr-error" role="alert">
          {capture.error.userMessage}
        </p>
      ) : null}
    </ReplayDialog>
  );
}
