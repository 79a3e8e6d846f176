import type { Bar } from '@rxtrade/core';
import { type BarsAcknowledged, BEFORE_FIRST_BAR } from './messages';

/**
 * The barrier protocol that gives the fleet a backtest's order of events without a round trip per bar.
 *
 * In a backtest, fills caused by bar t reach a strategy before its `onBar(t)`, and orders placed in
 * `onBar(t)` are first matched against bar t+1. Split across processes, that order needs a barrier
 * only where it matters:
 *
 * - A strategy runs ahead through bars while it has no working orders and issues no commands,
 *   acknowledging them in batches (one acknowledgement per frame of bars).
 * - When it issues a command on bar t, or has orders working after it, it acknowledges bar t at once
 *   with `waits`, and does not run `onBar(t+1)` before the order role's result for bar t+1 (its
 *   fills, or nothing) arrived.
 * - The order role matches bar t+1 for an account only once every strategy feeding that account and
 *   symbol acknowledged bar t; a command placed on bar t is applied once bar t was matched, so it
 *   is first matched against bar t+1, as in a backtest.
 *
 * `live` mode drops the barrier: strategies never wait, acknowledge only their last bar (the order
 * role needs nothing else: one message per strategy and run, not one per frame), and the order role
 * matches bars as they come (what a live venue does anyway) and sends each strategy its events with
 * the commit that produced them, not with a bar's result.
 *
 * These classes are plain synchronous state; the roles move messages between them.
 */
export type BarrierMode = 'barrier' | 'live';

/** An acknowledgement to send, without its account and strategy ids. */
export type AckToSend = Pick<BarsAcknowledged, 'through' | 'waits' | 'final'>;

/** The strategy side, one per strategy instance (one strategy on one symbol for one account). */
export class StrategyBarrier {
  readonly mode: BarrierMode;
  #acked: number = BEFORE_FIRST_BAR - 1;
  #pending: number | undefined;
  #waiting = false;
  #matched: number = BEFORE_FIRST_BAR;
  #final = false;
  /** Waits for the result of every bar (a strategy that follows a shared account). */
  readonly #always: boolean;

  constructor(mode: BarrierMode = 'barrier', options: { readonly everyBar?: boolean } = {}) {
    this.mode = mode;
    this.#always = options.everyBar ?? false;
  }

  /** Whether `onBar(bar)` may run now: not waiting, or the order role's result for it has arrived. */
  canRun(bar: Pick<Bar, 'ts'>): boolean {
    return !this.#waiting || this.#matched >= bar.ts;
  }

  /** The order role's result for the bar at `ts` arrived (its events were delivered first). */
  matched(ts: number): void {
    if (ts > this.#matched) this.#matched = ts;
  }

  /** True while the strategy waits for a result it has not received. */
  get waiting(): boolean {
    return this.#waiting;
  }

  /**
   * After `onStart` (`ts` = {@link BEFORE_FIRST_BAR}) or `onBar`: what to acknowledge now. `commanded`:
   * the strategy submitted or canceled since its last bar; `working`: it has orders working; `last`:
   * no bar of its symbol follows.
   */
  afterBar(
    ts: number,
    state: { commanded: boolean; working: boolean; last: boolean },
  ): AckToSend | undefined {
    if (state.last) {
      this.#waiting = false;
      this.#pending = undefined;
      return this.#send({ through: ts, waits: false, final: true });
    }
    if (this.mode === 'barrier' && (state.commanded || state.working || this.#always)) {
      this.#waiting = true;
      this.#pending = undefined;
      return this.#send({ through: ts, waits: true, final: false });
    }
    this.#waiting = false;
    // Live: nothing waits on a strategy's progress, so there is nothing to acknowledge but the end.
    this.#pending = this.mode === 'live' ? undefined : ts;
    return undefined;
  }

  /** At the end of a frame: the batched acknowledgement of the bars run since the last one, if any. */
  flush(): AckToSend | undefined {
    const through = this.#pending;
    this.#pending = undefined;
    if (through === undefined || through <= this.#acked || this.#final) return undefined;
    return this.#send({ through, waits: false, final: false });
  }

  #send(ack: AckToSend): AckToSend | undefined {
    if (this.#final) return undefined;
    this.#acked = ack.through;
    this.#final = ack.final;
    return ack;
  }
}

interface FeederState {
  through: number;
  waits: boolean;
  final: boolean;
}

/** One bar ready to match, and the strategies waiting for its result. */
export interface ReadyBar {
  readonly bar: Bar;
  /** Strategies that acknowledged the bar before with `waits`: send them the result of this one. */
  readonly notify: readonly string[];
}

/**
 * The order side, one per account and symbol: holds the symbol's bars until every strategy feeding
 * the account acknowledged the bar before, and says who waits for each result.
 */
export class MatchBarrier {
  readonly mode: BarrierMode;
  readonly #feeders = new Map<string, FeederState>();
  /** Feeders that hold matching back but never finish (the risk role's equity guard). */
  readonly #gates: ReadonlySet<string>;
  readonly #bars: Bar[] = [];
  #head = 0;
  #matchedTs: number = BEFORE_FIRST_BAR;
  #lastSeen = false;

  /**
   * `gates`: ids that acknowledge bars as feeders do, and must have acknowledged the bar before the
   * next is matched, but whose end is not waited for (the risk role's equity guard acknowledges each
   * bar once it has watched it, and has no last bar of its own).
   */
  constructor(feeders: readonly string[], mode: BarrierMode = 'barrier', gates: readonly string[] = []) {
    this.mode = mode;
    this.#gates = new Set(gates);
    for (const id of [...feeders, ...gates])
      this.#feeders.set(id, { through: BEFORE_FIRST_BAR - 1, waits: false, final: false });
  }

  /** Time of the last bar matched ({@link BEFORE_FIRST_BAR} before the first). */
  get matchedThrough(): number {
    return this.#matchedTs;
  }

  /** Bars of the symbol, in time order (already de-duplicated by the caller); `last`: none follows. */
  addBars(bars: readonly Bar[], last: boolean): void {
    const newest = this.#bars.length === 0 ? this.#matchedTs : (this.#bars[this.#bars.length - 1] as Bar).ts;
    for (const bar of bars) if (bar.ts > newest) this.#bars.push(bar);
    if (last) this.#lastSeen = true;
  }

  /** Records a strategy's acknowledgement; an older one than already seen changes nothing. */
  acknowledge(ack: Pick<BarsAcknowledged, 'strategyId' | 'through' | 'waits' | 'final'>): void {
    const feeder = this.#feeders.get(ack.strategyId);
    if (feeder === undefined || ack.through < feeder.through || feeder.final) return;
    feeder.through = ack.through;
    feeder.waits = ack.waits;
    feeder.final = ack.final;
  }

  /**
   * A command placed on the bar at `ts` arrived: its strategy has run every bar before that one, so it
   * counts as acknowledged up to `through` (without `waits`) if it was behind.
   */
  assumeThrough(strategyId: string, through: number): void {
    const feeder = this.#feeders.get(strategyId);
    if (feeder === undefined || feeder.final || feeder.through >= through) return;
    feeder.through = through;
    feeder.waits = false;
  }

  /** The next bar if it may be matched now (every feeder acknowledged the bar before it), without taking it. */
  peek(): Bar | undefined {
    const bar = this.#bars[this.#head];
    if (bar === undefined || this.mode === 'live') return bar;
    const before = this.#matchedTs;
    for (const feeder of this.#feeders.values())
      if (feeder.through < before && !feeder.final) return undefined;
    return bar;
  }

  /** The next bar to match, if {@link peek} allows it; marks it matched. */
  next(): ReadyBar | undefined {
    const bar = this.peek();
    if (bar === undefined) return undefined;
    const before = this.#matchedTs;
    const notify: string[] = [];
    for (const [id, feeder] of this.#feeders) if (feeder.waits && feeder.through === before) notify.push(id);
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#bars.length) {
      this.#bars.splice(0, this.#head);
      this.#head = 0;
    }
    this.#matchedTs = bar.ts;
    return { bar, notify };
  }

  /** Every bar was matched, none follows, and every feeder has seen its last bar. */
  get finished(): boolean {
    if (!this.#lastSeen || this.#head < this.#bars.length) return false;
    for (const [id, feeder] of this.#feeders) if (!feeder.final && !this.#gates.has(id)) return false;
    return true;
  }
}
