import type { ReplayNotification } from '@livekit-replay/core/contract';
import { useReplayNotifications } from '@livekit-replay/react';
import { useCallback, useState } from 'react';

interface Toast {
  id: string;
  tone: 'info' | 'success' | 'error';
  text: string;
}

function toastFor(n: ReplayNotification): Toast | null {
  switch (n.type) {
    case 'REPLAY_BUFFER_STOPPED':
      // A buffer replaced by a new one (the share's audio arrived) is not news to the user.
      if (n.reason === 'replaced') return null;
      return { id: n.id, tone: 'info', text: stoppedText(n.reason) };
    case 'REPLAY_BUFFER_FAILED':
      return { id: n.id, tone: 'error', text: n.userMessage };
    case 'CLIP_READY':
      return { id: n.id, tone: 'success', text: 'Your clip is ready in My clips.' };
    case 'CAPTURE_FAILED':
      return { id: n.id, tone: 'error', text: n.userMessage };
    default:
      return null;
  }
}

function stoppedText(reason: string): string {
  if (reason === 'user') return 'Your replay buffer stopped: the screen share ended.';
  if (reason === 'limit_reached') return 'Your replay buffer stopped: it reached its time limit.';
  return 'Your replay buffer stopped.';
}

/** Server notifications as toasts: each event once (the hook drops duplicate deliveries). */
export function ReplayToasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: string) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  useReplayNotifications((n) => {
    const toast = toastFor(n);
    if (!toast) return;
    setToasts((all) => [...all.slice(-3), toast]);
    setTimeout(() => dismiss(toast.id), 8000);
  });
  return (
    <section className="toasts" aria-live="polite" aria-label="Notifications">
      {toasts.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.tone}`} role="status">
          <span>{toast.text}</span>
          <button type="button" aria-label="Dismiss notification" onClick={() => dismiss(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </section>
  );
}
