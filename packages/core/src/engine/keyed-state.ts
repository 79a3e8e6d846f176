import { Observable, Subject } from 'rxjs';

/**
 * A hot stream of keyed state that replays the current value of every key to each new subscriber,
 * then emits changes. Current values are computed on subscribe from `snapshot`, so the engine does
 * not build snapshots nobody reads: `emit` is a no-op while the stream is unobserved.
 */
export class KeyedState<TValue> {
  readonly #changes = new Subject<TValue>();
  readonly #snapshot: () => Iterable<TValue>;
  readonly stream$: Observable<TValue>;

  constructor(snapshot: () => Iterable<TValue>) {
    this.#snapshot = snapshot;
    this.stream$ = new Observable<TValue>((subscriber) => {
      for (const value of this.#snapshot()) subscriber.next(value);
      return this.#changes.subscribe(subscriber);
    });
  }

  get observed(): boolean {
    return this.#changes.observed;
  }

  emit(value: TValue): void {
    this.#changes.next(value);
  }

  complete(): void {
    this.#changes.complete();
  }
}
