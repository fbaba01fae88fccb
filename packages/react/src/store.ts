/** The subscribe/getSnapshot shape React binds to with useSyncExternalStore. */
export class Store<T> {
  #state: T;
  #listeners = new Set<() => void>();

  constructor(initial: T) {
    this.#state = initial;
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly getSnapshot = (): T => this.#state;

  protected setState(patch: Partial<T>): void {
    this.#state = { ...this.#state, ...patch };
    for (const listener of [...this.#listeners]) listener();
  }
}
