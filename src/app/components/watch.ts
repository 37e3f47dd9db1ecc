/**
 * A Lit reactive controller: `this.watch.get(observable)` returns the current value and
 * re-renders the host whenever it changes, until the host is disconnected.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Observable } from '../data/observable';

export class Watch implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #subscriptions = new Map<Observable<unknown>, () => void>();

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  get<T>(observable: Observable<T>): T {
    if (!this.#subscriptions.has(observable as Observable<unknown>)) {
      this.#subscriptions.set(
        observable as Observable<unknown>,
        observable.subscribe(() => this.#host.requestUpdate()),
      );
    }
    return observable.value;
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    for (const unsubscribe of this.#subscriptions.values()) unsubscribe();
    this.#subscriptions.clear();
  }
}
