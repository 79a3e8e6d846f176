import type { AccountConfig } from '../account/account-book';
import { RxtradeError } from '../errors';
import type { SlippageModel } from '../execution/simulated-venue';
import { pow10 } from '../model/decimal';
import type { Instrument, InstrumentSpec } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { Fill, OrderDenied, OrderRejected } from '../model/order-events';
import type { AccountState, ClosedTrade, Position } from '../model/position';
import { ManualClock } from '../ports/clock';
import { isBarDriven } from '../ports/execution-client';
import type { Logger } from '../ports/logger';
import type { MetricsSink } from '../ports/metrics-sink';
import type { PreTradeRule } from '../risk/pre-trade';
import type { StrategyBudgetConfig } from '../risk/strategy-budgets';
import type { BaseStrategy } from '../strategy/base-strategy';
import { EquityRecorder } from './equity-recorder';
import { type BacktestStatistics, EquityCurveStatistics } from './statistics';
import { type StrategyResult, StrategyTracker } from './strategy-results';
import { TradingEngine } from './trading-engine';
import type { StrategyEvent } from './types';

/** Bars for a backtest: an array or iterable, an async iterable, or a chunked source (CSV reader). */
export type BacktestData = Iterable<Bar> | AsyncIterable<Bar> | { chunks(): AsyncIterable<readonly Bar[]> };

/** Progress of a running backtest. */
export interface BacktestProgress {
  readonly bars: number;
  /** Expected bar count when known (array input, or `total`). */
  readonly total: number | undefined;
  readonly ts: number;
}

export interface BacktestOptions {
  readonly strategies: BaseStrategy<object> | readonly BaseStrategy<object>[];
  readonly data: BacktestData;
  readonly instruments: readonly (Instrument | InstrumentSpec)[];
  /** Starting cash of the default account. Default 100,000. Ignored when `accounts` is given. */
  readonly initialCash?: number;
  readonly accounts?: readonly AccountConfig[];
  readonly slippage?: SlippageModel;
  /** See SimulatedVenueOptions.maxVolumeShare: partial fills by a share of bar volume. */
  readonly maxVolumeShare?: number;
  readonly rules?: readonly PreTradeRule[];
  /** Cash budgets per strategy id (see `EngineOptions.budgets`, docs/concepts/strategy-budgets.md). */
  readonly budgets?: StrategyBudgetConfig;
  readonly onStrategyError?: 'stop' | 'continue';
  /** Close every open position at the last bar's close. Default false: positions are valued at the last close. */
  readonly closeAtEnd?: boolean;
  /** Called about every 10,000 bars and at the end. */
  readonly onProgress?: (progress: BacktestProgress) => void;
  /** Expected number of bars, for progress percentages. */
  readonly total?: number;
  /** Aborting rejects the run with a `CANCELED` error. */
  readonly signal?: AbortSignal;
  /**
   * Most equity points kept in the result's curve. Beyond it the curve is thinned by half (every other
   * point kept) as often as needed; the last point is always kept. The statistics do not depend on it:
   * they are computed as the run goes, on the equity after every timestamp. Default 100,000 (a chart of
   * a million bars is drawn from a few thousand points; raise it to keep every point of a long run).
   */
  readonly maxEquityPoints?: number;
  /** Keep every fill in the result. Default true; turn off for very long runs to bound memory. */
  readonly recordFills?: boolean;
  /**
   * Keep every closed trade in the result. Default true. When false, `closedTrades` is empty and the
   * trade statistics are computed from the trades' PnLs alone (8 bytes a trade instead of an object).
   */
  readonly recordClosedTrades?: boolean;
  /**
   * Keep each strategy's own equity curve, statistics and round trips (`result.strategies`), from its
   * virtual books. Default: on when the run has several strategies or `budgets`.
   */
  readonly strategyResults?: boolean;
  /** Keep each symbol's closes for charts (the HTML report's price panel). Default false. */
  readonly recordPrices?: boolean;
  readonly logger?: Logger;
  readonly metrics?: MetricsSink;
  /**
   * Called with the engine before it starts, to attach to its streams (metrics, logging, a live
   * chart). Subscriptions made here end when the run ends (the engine completes its streams).
   */
  readonly onEngine?: (engine: TradingEngine) => void;
}

/** Close prices of one symbol over the run (thinned like the equity curve). */
export interface PriceSeries {
  readonly symbol: string;
  readonly timestamps: readonly number[];
  readonly close: readonly number[];
}

/** Orders refused for one reason over a run: how many, and the first one as an example. */
export interface RefusalSummary {
  /** The reason code (`QUANTITY_OFF_LOT`, `INSUFFICIENT_CASH`, …). */
  readonly reason: string;
  readonly count: number;
  /** The first refusal for this reason: `OrderDenied` (pre-trade risk) or `OrderRejected` (the venue). */
  readonly first: OrderDenied | OrderRejected;
}

export interface BacktestResult {
  readonly bars: number;
  readonly fills: readonly Fill[];
  readonly closedTrades: readonly ClosedTrade[];
  /** Equity after each timestamp (see `maxEquityPoints`). */
  readonly equity: { readonly timestamps: readonly number[]; readonly values: readonly number[] };
  /** Close of every symbol, for charts, when `recordPrices` is set (see `maxEquityPoints`). */
  readonly prices: readonly PriceSeries[];
  readonly statistics: BacktestStatistics;
  /** Final state of the default account. */
  readonly account: AccountState;
  readonly accounts: readonly AccountState[];
  readonly positions: readonly Position[];
  /** Strategies that failed (threw in a hook) and were stopped: `StrategyFailed` events. */
  readonly strategyEvents: readonly StrategyEvent[];
  /**
   * Orders that never reached the market, by reason, most frequent first (the counts are also in
   * `statistics.refusalsByReason`). Empty when every order was accepted.
   */
  readonly refusals: readonly RefusalSummary[];
  /**
   * Each strategy's own results (equity curve, statistics, round trips, budget) from its virtual
   * books, in the order the strategies were given; empty unless `strategyResults` is on (the default
   * with several strategies or with budgets).
   */
  readonly strategies: readonly StrategyResult[];
}

function isChunked(data: BacktestData): data is { chunks(): AsyncIterable<readonly Bar[]> } {
  return typeof (data as { chunks?: unknown }).chunks === 'function';
}

/**
 * Runs strategies over historical bars through the full live path (strategy → risk → simulated
 * venue → order state machine → accounts), on a clock that reads each bar's time. Deterministic:
 * the same inputs give the same result, field for field.
 *
 * @example
 * const result = await runBacktest({ strategies: new SmaCross(), data: bars, instruments: [spx] });
 * console.log(result.statistics.totalReturn);
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const run = createBacktestRun(options);
  await run.start();
  try {
    await forEachBar(options.data, run.step);
    run.end();
  } finally {
    await run.close();
  }
  return run.result();
}

/** Feeds every bar of `data` to `step`, in order: arrays by index, chunks chunk by chunk. */
export async function forEachBar(data: BacktestData, step: (bar: Bar) => void): Promise<void> {
  if (isChunked(data)) {
    for await (const chunk of data.chunks()) for (let i = 0; i < chunk.length; i++) step(chunk[i] as Bar);
  } else if (Array.isArray(data)) {
    // Indexed: for-of over an array allocated an iterator result per bar here (40 bytes, 1M bars).
    const array = data as readonly Bar[];
    for (let i = 0; i < array.length; i++) step(array[i] as Bar);
  } else if (Symbol.iterator in data) {
    for (const bar of data as Iterable<Bar>) step(bar);
  } else {
    for await (const bar of data as AsyncIterable<Bar>) step(bar);
  }
}

/**
 * @internal One backtest, driven bar by bar from outside: `start()`, `step(bar)` for each bar in
 * order, `end()` after the last, `close()` always, then `result()`. `runBacktest` drives one over its
 * data; `runVariants` drives several over one pass of the data. `options.data` is not read here.
 */
export interface BacktestRun {
  readonly engine: TradingEngine;
  start(): Promise<void>;
  step(bar: Bar): void;
  end(): void;
  close(): Promise<void>;
  result(): BacktestResult;
}

/** @internal See {@link BacktestRun}. */
export function createBacktestRun(options: BacktestOptions): BacktestRun {
  const clock = new ManualClock(0);
  const strategies = Array.isArray(options.strategies)
    ? (options.strategies as readonly BaseStrategy<object>[])
    : [options.strategies as BaseStrategy<object>];
  const engine = new TradingEngine({
    instruments: options.instruments,
    accounts: options.accounts ?? [{ id: 'default', initialCash: options.initialCash ?? 100_000 }],
    strategies,
    clock,
    // A backtest never looks finished orders up (fills are recorded as they happen) and never
    // resends one: keep none, so dead orders are not promoted and memory stays flat on long runs.
    retainClosedOrders: 0,
    venue: {
      rememberFinishedOrders: 0,
      ...(options.slippage ? { slippage: options.slippage } : {}),
      ...(options.maxVolumeShare !== undefined ? { maxVolumeShare: options.maxVolumeShare } : {}),
    },
    ...(options.rules ? { rules: options.rules } : {}),
    ...(options.budgets ? { budgets: options.budgets } : {}),
    ...(options.onStrategyError ? { onStrategyError: options.onStrategyError } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const account = engine.accountBook();
  const maxPoints = options.maxEquityPoints ?? 100_000;
  const trackers =
    (options.strategyResults ?? (strategies.length > 1 || options.budgets !== undefined))
      ? strategies.map((strategy) => {
          const book = engine.accountBook(strategy.accountId);
          const budget = engine.budgetOf(strategy.id);
          return new StrategyTracker({
            strategyId: strategy.id,
            account: book,
            capital: budget ?? book.initialCashUnits / pow10(book.currencyPrecision),
            maxPoints,
          });
        })
      : [];
  const trackerOf = new Map(trackers.map((t) => [t.strategyId, t]));
  // Equity in currency = units / 10^precision (fromUnits), with the power looked up once.
  const unitScale = pow10(account.currencyPrecision);
  const fills: Fill[] = [];
  const closedTrades: ClosedTrade[] = [];
  const strategyEvents: StrategyEvent[] = [];
  const recordFills = options.recordFills ?? true;
  const recordClosedTrades = options.recordClosedTrades ?? true;
  // A packed array of doubles: 8 bytes a trade.
  const tradePnls: number[] = [];
  const refusals = new Map<string, { count: number; first: OrderDenied | OrderRejected }>();
  // Plain callbacks, not fills$/closedTrades$/orderEvents$: RxJS allocates per event even for one subscriber.
  engine.setRecorder({
    fill(fill) {
      if (recordFills) fills.push(fill);
    },
    closedTrade(trade) {
      if (recordClosedTrades) closedTrades.push(trade);
      else tradePnls.push(trade.pnl);
    },
    // A refused order leaves no fill and no trade: without this count, a strategy whose every order
    // was denied (0.5 BTC on a whole-unit instrument) would look like one that chose not to trade.
    refused(event) {
      const known = refusals.get(event.reason);
      if (known) known.count++;
      else refusals.set(event.reason, { count: 1, first: event });
      trackerOf.get(event.strategyId)?.refused(event.reason);
    },
    ...(trackers.length === 0
      ? {}
      : {
          strategyTrade(trade: ClosedTrade) {
            if (trade.strategyId !== undefined) trackerOf.get(trade.strategyId)?.trade(trade);
          },
        }),
  });
  const subscriptions = [
    engine.strategyEvents$.subscribe((event) => {
      if (event.type === 'StrategyFailed') strategyEvents.push(event);
    }),
  ];
  const equity = new EquityRecorder(maxPoints);
  const curveStatistics = new EquityCurveStatistics();
  const recordPrices = options.recordPrices ?? false;
  const prices = new Map<string, EquityRecorder>();
  let series = new EquityRecorder(2);
  let seriesSymbol: string | undefined;
  const closeAtEnd = options.closeAtEnd ?? false;
  const total =
    options.total ?? (Array.isArray(options.data) ? (options.data as readonly Bar[]).length : undefined);
  let bars = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  let exposedTimestamps = 0;
  let timestamps = 0;
  const lastBars = new Map<string, Bar>();

  const step = (bar: Bar): void => {
    if (bar.ts !== lastTs) {
      if (!(bar.ts > lastTs)) {
        throw new RxtradeError({
          code: 'INVALID_MESSAGE',
          message: `bar ${bars + 1} (${bar.symbol}) at ${bar.ts} is earlier than the previous bar at ${lastTs}`,
          details: { index: bars, ts: bar.ts, previousTs: lastTs },
        });
      }
      if (bars > 0) {
        const value = account.equityUnits / unitScale;
        equity.push(lastTs, value);
        curveStatistics.add(lastTs, value);
        timestamps++;
        if (account.openPositions > 0) exposedTimestamps++;
        for (let i = 0; i < trackers.length; i++) (trackers[i] as StrategyTracker).add(lastTs);
      }
      lastTs = bar.ts;
      clock.set(bar.ts);
    }
    engine.processBar(bar);
    if (closeAtEnd) lastBars.set(bar.symbol, bar);
    if (recordPrices) {
      // One Map lookup per symbol change, not per bar: single-symbol data never looks up twice.
      if (bar.symbol !== seriesSymbol) {
        let found = prices.get(bar.symbol);
        if (found === undefined) {
          found = new EquityRecorder(maxPoints);
          prices.set(bar.symbol, found);
        }
        series = found;
        seriesSymbol = bar.symbol;
      }
      series.push(bar.ts, bar.close);
    }
    bars++;
    if ((bars & 0x1fff) === 0) {
      if (options.signal?.aborted) {
        throw new RxtradeError({ code: 'CANCELED', message: `backtest canceled after ${bars} bars` });
      }
      options.onProgress?.({ bars, total, ts: bar.ts });
    }
  };

  return {
    engine,
    async start() {
      options.onEngine?.(engine);
      await engine.start();
    },
    step,
    end() {
      if (bars > 0) {
        if (closeAtEnd) closeAll(engine, lastBars);
        const value = account.equityUnits / unitScale;
        equity.setLast(lastTs, value);
        curveStatistics.add(lastTs, value);
        timestamps++;
        if (account.openPositions > 0) exposedTimestamps++;
        for (const tracker of trackers) tracker.add(lastTs, true);
      }
      options.onProgress?.({ bars, total, ts: lastTs });
    },
    async close() {
      await engine.stop();
      engine.setRecorder(undefined);
      for (const s of subscriptions) s.unsubscribe();
    },
    result() {
      const curve = equity.result();
      const finalAccount = engine.account();
      const statistics = curveStatistics.finish({
        trades: closedTrades,
        ...(recordClosedTrades ? {} : { tradePnls }),
        feesPaid: finalAccount.feesPaid,
        exposure: timestamps === 0 ? 0 : exposedTimestamps / timestamps,
        refusalsByReason: Object.fromEntries([...refusals].map(([reason, r]) => [reason, r.count])),
      });
      return {
        bars,
        fills,
        closedTrades,
        equity: curve,
        prices: [...prices].map(([symbol, series]) => {
          const { timestamps, values } = series.result();
          return { symbol, timestamps, close: values };
        }),
        statistics,
        account: finalAccount,
        accounts: engine.accounts(),
        positions: engine.positions(),
        strategyEvents,
        refusals: Object.keys(statistics.refusalsByReason).map((reason) => {
          const r = refusals.get(reason) as { count: number; first: OrderDenied | OrderRejected };
          return { reason, count: r.count, first: r.first };
        }),
        strategies: trackers.map((t) => t.finish(engine.strategyBudget(t.strategyId))),
      };
    },
  };
}

/**
 * Flattens every position at the last close: market orders go through the normal path (risk,
 * venue, fees, accounts) and fill on a closing print at each symbol's last close.
 */
function closeAll(engine: TradingEngine, lastBars: ReadonlyMap<string, Bar>): void {
  engine.flattenAll('close at end of backtest');
  // The backtest's venue is bar-driven (a simulated venue): one more bar at each last close, with
  // room for every order, fills the flattening market orders there.
  const venue = engine.execution;
  if (!isBarDriven(venue)) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `closeAtEnd needs a bar-driven venue, not ${venue.venue}`,
    });
  }
  for (const bar of lastBars.values()) {
    venue.processBar({
      ...bar,
      open: bar.close,
      high: bar.close,
      low: bar.close,
      volume: Number.MAX_SAFE_INTEGER,
    });
  }
}
