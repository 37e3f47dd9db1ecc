/**
 * A value that tells its subscribers when it changes. The data layer (engine session,
 * settings, history) keeps its state in these, so components only render what they are given
 * and never own application state.
 */
export type Listener<T> = (value: T) => void;

export class Observable<T> {
  #value: T;
  readonly #listeners = new Set<Listener<T>>();

  constructor(initial: T) {
    this.#value = initial;
  }

  get value(): T {
    return this.#value;
  }

  set(value: T): void {
    this.#value = value;
    for (const listener of [...this.#listeners]) listener(value);
  }

  update(change: (value: T) => T): void {
    this.set(change(this.#value));
  }

  /** Returns the function that unsubscribes. */
  subscribe(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
