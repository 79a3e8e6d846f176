import {
  AccountBook,
  type AccountConfig,
  type BacktestData,
  type BacktestResult,
  type Bar,
  type ClosedTrade,
  EquityCurveStatistics,
  type Fill,
  type Instrument,
  pow10,
  RxtradeError,
  StrategyTracker,
} from '@rxtrade/core';
import type { FleetRunResult, FleetStrategyOutcome } from './run-fleet';

/** Input of {@link fleetReport}. */
export interface FleetReportInput {
  /** The bars the run was given (iterated again). */
  readonly data: BacktestData;
  readonly run: FleetRunResult;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** The plan's accounts; the first is the one `account` and the statistics describe, as in a backtest. */
  readonly accounts: readonly AccountConfig[];
  /**
   * Each strategy's own results in `strategies` (as `runBacktest`'s `strategyResults`). Default, as
   * a backtest's: when the plan has several strategies or a strategy has a budget.
   */
  readonly strategyResults?: boolean;
  /** Most points of each strategy's equity curve, as `runBacktest`'s `maxEquityPoints`. Default 100,000. */
  readonly maxEquityPoints?: number;
}

/**
 * A fleet run in the shape of a {@link BacktestResult}: the run's fills booked bar by bar into core's
 * `AccountBook`s (each fill at its bar, before the bar's close marks the books, as the engine does),
 * giving the equity after each timestamp, the closed trades and the statistics a backtest reports,
 * and each strategy's own results from its virtual books (core's `StrategyTracker`, as the backtest
 * runner keeps them) with the refusals and budget its risk role reported. The books it ends with must
 * equal the risk role's — the parity suite checks both.
 */
export async function fleetReport(input: FleetReportInput): Promise<BacktestResult> {
  const books = input.accounts.map((config) => new AccountBook(config));
  const main = books[0];
  if (main === undefined)
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'no account to report' });
  const unitScale = pow10(main.currencyPrecision);
  const byId = new Map(books.map((b) => [b.id, b]));
  const fills = input.run.fills;
  const closedTrades: ClosedTrade[] = [];
  const outcomes = input.run.strategies;
  const perStrategy =
    input.strategyResults ?? (outcomes.length > 1 || outcomes.some((o) => o.budget !== undefined));
  const trackers = perStrategy
    ? outcomes.map((outcome) => {
        const book = byId.get(outcome.accountId);
        if (book === undefined)
          throw new RxtradeError({
            code: 'INVALID_ARGUMENT',
            message: `strategy ${outcome.strategyId} trades account ${outcome.accountId}, which is not among the accounts`,
          });
        const tracker = new StrategyTracker({
          strategyId: outcome.strategyId,
          account: book,
          capital: outcome.budget?.budget ?? book.initialCashUnits / pow10(book.currencyPrecision),
          maxPoints: input.maxEquityPoints ?? 100_000,
        });
        for (const [reason, count] of Object.entries(outcome.refusals)) tracker.refused(reason, count);
        return tracker;
      })
    : [];
  const trackerOf = new Map(trackers.map((t) => [t.strategyId, t]));
  const timestamps: number[] = [];
  const values: number[] = [];
  const curve = new EquityCurveStatistics();
  let next = 0;
  let bars = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  let points = 0;
  let exposed = 0;
  const point = (last = false): void => {
    const value = main.equityUnits / unitScale;
    timestamps.push(lastTs);
    values.push(value);
    curve.add(lastTs, value);
    points++;
    if (main.openPositions > 0) exposed++;
    for (const tracker of trackers) tracker.add(lastTs, last);
  };
  const step = (bar: Bar): void => {
    if (bar.ts !== lastTs) {
      if (bars > 0) point();
      lastTs = bar.ts;
    }
    const instrument = input.instruments.get(bar.symbol);
    if (instrument === undefined) return;
    // Fills are in time order; a bar's fills are those at its time on its symbol.
    while (next < fills.length && (fills[next] as Fill).tsEvent < bar.ts) next++;
    for (let i = next; i < fills.length && (fills[i] as Fill).tsEvent === bar.ts; i++) {
      const fill = fills[i] as Fill;
      if (fill.instrumentId !== bar.symbol) continue;
      const { closed, strategyClosed } = (byId.get(fill.accountId) as AccountBook).applyFill(
        fill,
        instrument,
        trackers.length > 0,
      );
      if (closed) closedTrades.push(closed);
      if (strategyClosed?.strategyId !== undefined)
        trackerOf.get(strategyClosed.strategyId)?.trade(strategyClosed);
    }
    for (const book of books) book.mark(instrument, bar.close, bar.ts);
    bars++;
  };
  const data = input.data;
  if (typeof (data as { chunks?: unknown }).chunks === 'function') {
    for await (const chunk of (data as { chunks(): AsyncIterable<readonly Bar[]> }).chunks())
      for (const bar of chunk) step(bar);
  } else if (Symbol.iterator in data) {
    for (const bar of data as Iterable<Bar>) step(bar);
  } else {
    for await (const bar of data as AsyncIterable<Bar>) step(bar);
  }
  if (bars > 0) point(true);
  const account = main.snapshot();
  const refusals = input.run.refusals;
  const statistics = curve.finish({
    trades: closedTrades,
    feesPaid: account.feesPaid,
    exposure: points === 0 ? 0 : exposed / points,
    refusalsByReason: Object.fromEntries(refusals.map((r) => [r.reason, r.count])),
  });
  return {
    bars,
    fills,
    closedTrades,
    equity: { timestamps, values },
    prices: [],
    statistics,
    account,
    accounts: books.map((b) => b.snapshot()),
    positions: books.flatMap((b) => [...b.positions.values()].map((p) => p.snapshot())),
    strategyEvents: input.run.strategyEvents,
    refusals: refusals.map((r) => ({ reason: r.reason, count: r.count, first: r.first })),
    strategies: trackers.map((t, i) => t.finish((outcomes[i] as FleetStrategyOutcome).budget)),
  };
}
