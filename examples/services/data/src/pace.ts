/** Options of {@link ReplayPace}. */
export interface ReplayPaceOptions {
  /** Milliseconds between steps (one bar of every symbol); 0 = as fast as the bus takes them. */
  readonly stepMs: number;
  /** The replay is stalled when it has not moved for this long past when it should have. */
  readonly stallMs: number;
  /** Monotonic milliseconds. Default `performance.now`. */
  readonly now?: () => number;
  /**
   * Paces by the bars' own time instead of `stepMs`: step k is due when the wall clock reaches
   * `dueAt(k)` (epoch ms; a step already past is due at once). A recorded series stamped with
   * today's times then replays as a live feed.
   */
  readonly dueAt?: (k: number) => number;
  /** The wall clock `dueAt` is read against. Default `Date.now`. */
  readonly wallNow?: () => number;
}

/**
 * The data service's replay schedule and its health. Step k is due at a fixed time from the first
 * paced step (a slow step is caught up by the next ones instead of shifting every later bar); the
 * replay is unhealthy from a failed attempt until it moves again, and while it has not moved for
 * `stallMs` past the time it was due to (a paused Redis or broker holds it without failing it).
 */
export class ReplayPace {
  readonly #stepMs: number;
  readonly #stallMs: number;
  readonly #now: () => number;
  readonly #dueAt: ((k: number) => number) | undefined;
  readonly #wallNow: () => number;
  #start = 0;
  #first = 0;
  /** When the replay last moved, or is next due to. */
  #movedBy: number | undefined;
  #failing = false;
  #finished = false;

  constructor(options: ReplayPaceOptions) {
    this.#stepMs = options.stepMs;
    this.#stallMs = options.stallMs;
    this.#now = options.now ?? (() => performance.now());
    this.#dueAt = options.dueAt;
    this.#wallNow = options.wallNow ?? Date.now;
  }

  /** An attempt starts; steps before `resumeAt` were published before and go unpaced. */
  begin(resumeAt: number): void {
    this.#start = this.#now();
    this.#first = resumeAt;
    this.#movedBy = this.#start;
  }

  /** Milliseconds to wait before step `k` (0 when due or unpaced). */
  beforeStep(k: number): number {
    const now = this.#now();
    if (this.#dueAt !== undefined) {
      const wait = Math.max(0, this.#dueAt(k) - this.#wallNow());
      this.#movedBy = Math.max(this.#movedBy ?? now, now + wait);
      return wait;
    }
    if (this.#stepMs <= 0) return 0;
    const due = this.#start + (k - this.#first) * this.#stepMs;
    this.#movedBy = Math.max(this.#movedBy ?? now, due);
    return Math.max(0, due - now);
  }

  /** Step `k`'s bars were taken by the publisher. */
  stepped(_k: number): void {
    this.#movedBy = Math.max(this.#movedBy ?? 0, this.#now());
    this.#failing = false;
  }

  failed(): void {
    this.#failing = true;
  }

  finish(): void {
    this.#finished = true;
    this.#failing = false;
  }

  /** For `/health`: finished, or moving and not failing. */
  healthy(): boolean {
    if (this.#finished) return true;
    if (this.#failing) return false;
    return this.#movedBy === undefined || this.#now() - this.#movedBy <= this.#stallMs;
  }
}
