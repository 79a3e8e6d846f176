import { feeToMinorUnits, PositionBook } from '../account/position-book';
import { type BacktestOptions, type BacktestResult, runBacktest } from '../engine/backtest';
import type { StrategyEvent } from '../engine/types';
import { RxtradeError } from '../errors';
import { toUnitsExact } from '../model/decimal';
import { defineInstrument, type Instrument, priceToUnits } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { Fill } from '../model/order-events';
import type { Position } from '../model/position';
import type { BaseStrategy } from './base-strategy';

/** What happens when a strategy hook runs over its time budget. */
export type OverrunPolicy = 'stop' | 'skip' | 'report';

/** A per-call wall-time budget for a strategy's `onBar` and `onFill`. */
export interface TimeBudget {
  /** Most wall time one call may take, ms. */
  readonly budgetMs: number;
  /**
   * `stop` (default): the strategy is failed with a TIMEOUT error, so the engine reports
   * `StrategyFailed` (hook `onBar`/`onFill`) and, under its default `onStrategyError: 'stop'`, stops it
   * and cancels its open orders; later calls are ignored whatever the engine's policy.
   * `skip`: its next `skipBars` bars are not delivered (indicators still update).
   * `report`: only reported.
   */
  readonly policy?: OverrunPolicy;
  /** Bars skipped after an overrun under `skip`. Default 1. */
  readonly skipBars?: number;
  /** Time source in ms. Default `performance.now`; tests pass a fake. */
  readonly stopwatch?: () => number;
  /** Called on every overrun, after the policy was applied. */
  readonly onOverrun?: (overrun: StrategyOverrun) => void;
}

/** A strategy hook ran over its budget. */
export interface StrategyOverrun {
  readonly type: 'StrategyOverrun';
  readonly strategyId: string;
  readonly hook: 'onBar' | 'onFill';
  readonly elapsedMs: number;
  readonly budgetMs: number;
  readonly action: 'stopped' | 'skipped' | 'reported';
  /** The bar's or fill's time. */
  readonly tsEvent: number;
}

const supervised = new WeakSet<object>();

/**
 * Puts a strategy on a time budget: each `onBar` and `onFill` call is timed with the stopwatch and
 * an overrun is handled by `policy`. Returns the same instance (its hooks wrapped), so it goes into
 * any engine or backtest unchanged.
 *
 * What this can and cannot do: JavaScript runs one call at a time, so a slow `onBar` still delays
 * every strategy after it on that bar; it cannot be interrupted. The budget bounds the damage: the
 * offender is stopped after one slow call (its late orders canceled) or skipped for the next bars.
 * In a backtest nothing is delayed in simulated time at all (every order carries the bar's time).
 * Real isolation (preemption, CPU in parallel) needs each strategy in its own worker thread; see
 * docs/concepts/risk.md, "Parallel strategies".
 */
export function superviseStrategy<TStrategy extends BaseStrategy<object>>(
  strategy: TStrategy,
  budget: TimeBudget,
): TStrategy {
  if (!(budget.budgetMs > 0)) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `budgetMs must be > 0, got ${budget.budgetMs}`,
    });
  }
  if (supervised.has(strategy)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `strategy ${strategy.id} is already supervised`,
    });
  }
  supervised.add(strategy);
  const policy = budget.policy ?? 'stop';
  const skipBars = budget.skipBars ?? 1;
  const stopwatch = budget.stopwatch ?? (() => performance.now());
  const onBar = strategy.onBar.bind(strategy);
  const onFill = strategy.onFill.bind(strategy);
  let skip = 0;
  let stopped = false;

  const overrun = (hook: StrategyOverrun['hook'], elapsedMs: number, tsEvent: number): void => {
    const action = policy === 'stop' ? 'stopped' : policy === 'skip' ? 'skipped' : 'reported';
    if (policy === 'skip') skip = skipBars;
    if (policy === 'stop') stopped = true;
    budget.onOverrun?.({
      type: 'StrategyOverrun',
      strategyId: strategy.id,
      hook,
      elapsedMs,
      budgetMs: budget.budgetMs,
      action,
      tsEvent,
    });
    if (policy === 'stop') {
      throw new RxtradeError({
        code: 'TIMEOUT',
        message: `STRATEGY_TIMEOUT: ${hook} took ${elapsedMs.toFixed(1)} ms > budget ${budget.budgetMs} ms`,
        details: { strategyId: strategy.id, hook, elapsedMs, budgetMs: budget.budgetMs },
      });
    }
  };

  strategy.onBar = (bar: Bar): void => {
    if (stopped) return;
    if (skip > 0) {
      skip--;
      return;
    }
    const start = stopwatch();
    onBar(bar);
    const elapsed = stopwatch() - start;
    if (elapsed > budget.budgetMs) overrun('onBar', elapsed, bar.ts);
  };
  strategy.onFill = (fill: Fill): void => {
    if (stopped) return;
    const start = stopwatch();
    onFill(fill);
    const elapsed = stopwatch() - start;
    if (elapsed > budget.budgetMs) overrun('onFill', elapsed, fill.tsEvent);
  };
  return strategy;
}

/** Options of {@link runParallel}: a backtest of many strategies on one feed. */
export interface ParallelRunOptions extends Omit<BacktestOptions, 'strategies' | 'recordFills'> {
  readonly strategies: readonly BaseStrategy<object>[];
  /** Put every strategy on this time budget (see {@link superviseStrategy}). Default: none. */
  readonly budget?: TimeBudget;
}

/** How one strategy did in a {@link runParallel} run: its own virtual books, across accounts. */
export interface StrategyRunSummary {
  readonly strategyId: string;
  /** `completed`, `failed` (a hook threw), or `timed-out` (stopped by its time budget). */
  readonly status: 'completed' | 'failed' | 'timed-out';
  readonly failures: readonly Extract<StrategyEvent, { type: 'StrategyFailed' }>[];
  readonly overruns: readonly StrategyOverrun[];
  /** Its virtual positions, marked at each symbol's last close. */
  readonly positions: readonly Position[];
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly feesPaid: number;
  /** realized + unrealized − fees. */
  readonly pnl: number;
  readonly fills: number;
}

/** The backtest and a summary per strategy. */
export interface ParallelRunResult {
  readonly backtest: BacktestResult;
  readonly strategies: readonly StrategyRunSummary[];
}

/**
 * Runs many strategies on the same bars in one engine: each trades through the same risk path and
 * accounts (several may share an account: each keeps its own virtual position and PnL), a strategy
 * that throws is reported and stopped without touching the others, and with `budget` a slow one is
 * stopped or skipped (see {@link superviseStrategy}). Returns the backtest and a summary per strategy.
 *
 * @example
 * const { strategies } = await runParallel({
 *   strategies: [new SmaCross({ id: 'fast' }), new SmaCross({ id: 'slow', params: { fast: 20, slow: 60 } })],
 *   data: bars, instruments: [spx], budget: { budgetMs: 5, policy: 'skip' },
 * });
 */
export async function runParallel(options: ParallelRunOptions): Promise<ParallelRunResult> {
  const { strategies, budget, ...rest } = options;
  const overruns = new Map<string, StrategyOverrun[]>();
  for (const strategy of strategies) overruns.set(strategy.id, []);
  if (budget) {
    for (const strategy of strategies) {
      superviseStrategy(strategy, {
        ...budget,
        onOverrun: (o) => {
          overruns.get(o.strategyId)?.push(o);
          budget.onOverrun?.(o);
        },
      });
    }
  }
  const backtest = await runBacktest({ ...rest, strategies, recordFills: true, recordPrices: true });
  const instruments = new Map<string, Instrument>();
  for (const spec of options.instruments) {
    const instrument = 'tickUnits' in spec ? spec : defineInstrument(spec);
    instruments.set(instrument.id, instrument);
  }
  const lastClose = new Map(backtest.prices.map((p) => [p.symbol, p.close.at(-1)]));
  const precision = new Map((options.accounts ?? []).map((a) => [a.id, a.currencyPrecision ?? 2]));
  return {
    backtest,
    strategies: strategies.map((strategy) =>
      summarise(strategy.id, {
        backtest,
        instruments,
        lastClose,
        precision,
        overruns: overruns.get(strategy.id) ?? [],
      }),
    ),
  };
}

/** Rebuilds one strategy's virtual books from its fills (the same exact accounting the engine uses). */
function summarise(
  strategyId: string,
  from: {
    backtest: BacktestResult;
    instruments: ReadonlyMap<string, Instrument>;
    lastClose: ReadonlyMap<string, number | undefined>;
    precision: ReadonlyMap<string, number>;
    overruns: readonly StrategyOverrun[];
  },
): StrategyRunSummary {
  const books = new Map<string, PositionBook>();
  let fills = 0;
  for (const fill of from.backtest.fills) {
    if (fill.strategyId !== strategyId) continue;
    fills++;
    const instrument = from.instruments.get(fill.instrumentId) as Instrument;
    const currencyPrecision = from.precision.get(fill.accountId) ?? 2;
    const key = `${fill.accountId}\u0000${fill.instrumentId}`;
    let book = books.get(key);
    if (!book) {
      book = new PositionBook({ instrument, accountId: fill.accountId, strategyId, currencyPrecision });
      books.set(key, book);
    }
    const qty = toUnitsExact(fill.lastQty, instrument.quantityPrecision);
    book.applyFill({
      signedQtyUnits: fill.side === 'buy' ? qty : -qty,
      pxUnits: priceToUnits(instrument, fill.lastPx),
      feeUnits: feeToMinorUnits(fill.fee, currencyPrecision),
      ts: fill.tsEvent,
    });
  }
  const positions: Position[] = [];
  let realizedPnl = 0;
  let unrealizedPnl = 0;
  let feesPaid = 0;
  for (const book of books.values()) {
    const close = from.lastClose.get(book.instrument.id);
    if (close !== undefined) book.mark(priceToUnits(book.instrument, close), book.tsLast);
    const p = book.snapshot();
    positions.push(p);
    realizedPnl += p.realizedPnl;
    unrealizedPnl += p.unrealizedPnl;
    feesPaid += p.feesPaid;
  }
  const failures = from.backtest.strategyEvents.filter(
    (e): e is Extract<StrategyEvent, { type: 'StrategyFailed' }> =>
      e.type === 'StrategyFailed' && e.strategyId === strategyId,
  );
  const timedOut = failures.some((f) => (f.error as { code?: unknown } | undefined)?.code === 'TIMEOUT');
  const round = (n: number): number => Math.round(n * 1e8) / 1e8;
  return {
    strategyId,
    status: timedOut ? 'timed-out' : failures.length > 0 ? 'failed' : 'completed',
    failures,
    overruns: from.overruns,
    positions,
    realizedPnl: round(realizedPnl),
    unrealizedPnl: round(unrealizedPnl),
    feesPaid: round(feesPaid),
    pnl: round(realizedPnl + unrealizedPnl - feesPaid),
    fills,
  };
}
