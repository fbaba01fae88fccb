import { type ReactNode, useEffect, useId, useRef } from 'react';

export interface ReplayDialogProps {
  open: boolean;
  /** Escape, the close button, or the app closing it. */
  onClose(): void;
  title: ReactNode;
  children?: ReactNode;
  className?: string;
  /** Extra data-* state for styling. */
  state?: string;
}

/**
 * A native modal <dialog>: the browser traps focus, restores it on close, makes the rest of
 * the page inert and closes on Escape.
 */
export function ReplayDialog({ open, onClose, title, children, className, state }: ReplayDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      dialog.showModal();
      // The browser focuses the first control (often Close); the content may name a better one.
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={['lkr-dialog', className].filter(Boolean).join(' ')}
      aria-labelledby={titleId}
      data-state={state}
      onClose={() => {
        if (open) onClose();
      }}
    >
      {open ? (
        <>
          <header className="lkr-dialog__header">
            <h2 id={titleId} className="lkr-dialog__title">
              {title}
            </h2>
            <button type="button" className="lkr-icon-button" aria-label="Close" onClick={onClose}>
              ×
            </button>
          </header>
          {children}
        </>
      ) : null}
    </dialog>
  );
}
