import EventEmitter from 'eventemitter3';
import type { ReplayNotification } from '../events.js';
import type { Notifier } from '../ports/notifier.js';

export interface InProcessNotifierOptions {
  /** Called when a listener throws; the other listeners still run. Default: ignore. */
  onListenerError?: (error: unknown, notification: ReplayNotification) => void;
}

interface NotifierEvents {
  notification: (notification: ReplayNotification) => void;
}

/**
 * Notifier for a single process: `publish` calls every subscribed listener before it resolves.
 * Each listener gets its own copy, so one listener cannot change what the next one sees.
 */
export class InProcessNotifier implements Notifier {
  private readonly emitter = new EventEmitter<NotifierEvents>();
  private readonly onListenerError: (error: unknown, notification: ReplayNotification) => void;

  constructor(options: InProcessNotifierOptions = {}) {
    this.onListenerError = options.onListenerError ?? (() => {});
  }

  async publish(notification: ReplayNotification): Promise<void> {
    this.emitter.emit('notification', notification);
  }

  async subscribe(listener: (notification: ReplayNotification) => void): Promise<() => Promise<void>> {
    // A wrapper per subscription, so subscribing the same function twice unsubscribes independently.
    const wrapped = (notification: ReplayNotification) => {
      try {
        listener(structuredClone(notification));
      } catch (error) {
        this.onListenerError(error, notification);
      }
    };
    this.emitter.on('notification', wrapped);
    return async () => {
      this.emitter.off('notification', wrapped);
    };
  }

  /** Number of live subscriptions (for diagnostics and tests). */
  listenerCount(): number {
    return this.emitter.listenerCount('notification');
  }
}
