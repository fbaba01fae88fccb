import EventEmitter from 'eventemitter3';

type Listener = (...args: never[]) => unknown;

/**
 * The manager's in-process events. Listeners are the integrator's code (logging, metrics), so
 * they must not change the outcome of what raised the event: a listener that throws (or returns
 * a rejected promise) is reported through `error` with the event's name, and the other
 * listeners still run. A failing `error` listener is dropped: there is nowhere left to report it.
 */
export class IsolatedEventEmitter<Events extends EventEmitter.ValidEventTypes> extends EventEmitter<Events> {
  private readonly guarded = new WeakMap<Listener, Map<PropertyKey, Listener>>();

  override on<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    return super.on(event, this.guard(event, fn as Listener) as never, context);
  }

  override addListener<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    return this.on(event, fn, context);
  }

  override once<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn: EventEmitter.EventListener<Events, T>,
    context?: unknown,
  ): this {
    return super.once(event, this.guard(event, fn as Listener) as never, context);
  }

  override off<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn?: EventEmitter.EventListener<Events, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    const guarded = fn ? (this.guarded.get(fn as Listener)?.get(event) ?? fn) : undefined;
    return super.off(event, guarded as never, context, once);
  }

  override removeListener<T extends EventEmitter.EventNames<Events>>(
    event: T,
    fn?: EventEmitter.EventListener<Events, T>,
    context?: unknown,
    once?: boolean,
  ): this {
    return this.off(event, fn, context, once);
  }

  private guard(event: PropertyKey, fn: Listener): Listener {
    let byEvent = this.guarded.get(fn);
    if (!byEvent) {
      byEvent = new Map();
      this.guarded.set(fn, byEvent);
    }
    let guarded = byEvent.get(event);
    if (!guarded) {
      const report = (error: unknown) => this.listenerFailed(event, error);
      guarded = function (this: unknown, ...args: never[]) {
        try {
          const result = fn.apply(this, args);
          if (result && typeof (result as PromiseLike<unknown>).then === 'function') {
            (result as Promise<unknown>).then(undefined, report);
          }
        } catch (error) {
          report(error);
        }
      };
      byEvent.set(event, guarded);
    }
    return guarded;
  }

  private listenerFailed(event: PropertyKey, error: unknown): void {
    if (event === 'error') return;
    const failure = error instanceof Error ? error : new Error(String(error));
    (this.emit as (event: string, ...args: unknown[]) => boolean)('error', failure, {
      operation: `a '${String(event)}' event listener`,
    });
  }
}
