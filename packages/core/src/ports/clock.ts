/**
 * The source of time for everything in the domain. Structurally an RxJS `TimestampProvider`, so an
 * RxJS scheduler (including `TestScheduler`) can serve as a Clock. Epoch milliseconds.
 */
export interface Clock {
  now(): number;
}

/** Wall-clock time. The default outside backtests. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that only moves when told to: the backtest runner sets it to each bar's time, tests
 * advance it by hand. Time never goes backwards.
 */
export class ManualClock implements Clock {
  // Initialised here, not only in the constructor: a field first defined as `undefined` holds its
  // later doubles boxed, one heap allocation per `set` (a backtest sets it every bar).
  #now = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Sets the time; a value earlier than now is ignored (time is monotonic). */
  set(ts: number): void {
    if (ts > this.#now) this.#now = ts;
  }

  advance(ms: number): void {
    if (ms > 0) this.#now += ms;
  }
}
