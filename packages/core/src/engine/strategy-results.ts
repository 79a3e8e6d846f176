import type { AccountBook } from '../account/account-book';
import { pow10 } from '../model/decimal';
import type { ClosedTrade, Position } from '../model/position';
import type { BudgetUsage } from '../risk/strategy-budgets';
import { EquityRecorder } from './equity-recorder';
import { type BacktestStatistics, EquityCurveStatistics } from './statistics';

/**
 * One strategy's own results in a run, from its virtual books on its account (see
 * docs/concepts/strategy-budgets.md): what it would have shown trading that account alone.
 */
export interface StrategyResult {
  readonly strategyId: string;
  readonly accountId: string;
  /**
   * What its equity curve starts from: its budget when it has one, else its account's initial
   * cash (then every strategy's return is a share of the whole account's starting cash).
   */
  readonly capital: number;
  /** Where its budget stood at the end; undefined without a budget. */
  readonly budget: BudgetUsage | undefined;
  /** capital + its realised PnL − its fees + its unrealised PnL, after each timestamp (thinned like the account's). */
  readonly equity: { readonly timestamps: readonly number[]; readonly values: readonly number[] };
  /** The statistics of its curve and of its own round trips. */
  readonly statistics: BacktestStatistics;
  /** Round trips of its virtual positions (its fills alone, whatever other strategies did on the account). */
  readonly closedTrades: readonly ClosedTrade[];
  /** Its virtual positions at the end. */
  readonly positions: readonly Position[];
}

/**
 * One strategy's results as a run goes: an equity point per timestamp from its virtual books on its
 * account (exact integer units; thinned to `maxPoints` like the account's curve), its round trips and
 * its refusals, finished into a {@link StrategyResult}. The backtest runner keeps one per strategy; a
 * fleet report rebuilding a run from its fills keeps the same, so both report a strategy alike.
 *
 * @example
 * const tracker = new StrategyTracker({ strategyId: 'sma', account: book, capital: 15_000, maxPoints: 100_000 });
 * const { strategyClosed } = book.applyFill(fill, instrument);
 * if (strategyClosed) tracker.trade(strategyClosed);
 * tracker.add(bar.ts); // after the timestamp's fills and marks
 * const result = tracker.finish(undefined);
 */
export class StrategyTracker {
  readonly strategyId: string;
  readonly #account: AccountBook;
  readonly #capitalUnits: number;
  readonly #capital: number;
  readonly #scale: number;
  readonly #equity: EquityRecorder;
  readonly #curve = new EquityCurveStatistics();
  readonly #trades: ClosedTrade[] = [];
  readonly #refusals = new Map<string, number>();
  #timestamps = 0;
  #exposed = 0;

  constructor(options: {
    strategyId: string;
    account: AccountBook;
    capital: number;
    maxPoints: number;
  }) {
    this.strategyId = options.strategyId;
    this.#account = options.account;
    this.#scale = pow10(options.account.currencyPrecision);
    this.#capital = options.capital;
    this.#capitalUnits = Math.round(options.capital * this.#scale);
    this.#equity = new EquityRecorder(options.maxPoints);
  }

  /** Equity of the strategy now, minor units, and whether it holds a position. */
  #now(): { units: number; exposed: boolean } {
    let units = this.#capitalUnits;
    let exposed = false;
    const books = this.#account.strategyPositions.get(this.strategyId);
    if (books !== undefined) {
      for (const book of books.values()) {
        units += book.realizedUnits - book.feeUnits + book.unrealizedUnits;
        if (book.qtyUnits !== 0) exposed = true;
      }
    }
    return { units, exposed };
  }

  /** Records the strategy's equity after timestamp `ts`; `last` replaces a point at the same time. */
  add(ts: number, last = false): void {
    const { units, exposed } = this.#now();
    const value = units / this.#scale;
    if (last) this.#equity.setLast(ts, value);
    else this.#equity.push(ts, value);
    this.#curve.add(ts, value);
    this.#timestamps++;
    if (exposed) this.#exposed++;
  }

  /** Records a round trip of the strategy's virtual position (an `applyFill`'s `strategyClosed`). */
  trade(trade: ClosedTrade): void {
    this.#trades.push(trade);
  }

  /** Counts `count` of the strategy's orders refused for `reason` (risk's denials, the venue's rejections). */
  refused(reason: string, count = 1): void {
    this.#refusals.set(reason, (this.#refusals.get(reason) ?? 0) + count);
  }

  finish(budget: BudgetUsage | undefined): StrategyResult {
    let fees = 0;
    const positions: Position[] = [];
    for (const book of this.#account.strategyPositions.get(this.strategyId)?.values() ?? []) {
      fees += book.feeUnits;
      positions.push(book.snapshot());
    }
    const statistics = this.#curve.finish({
      trades: this.#trades,
      feesPaid: fees / this.#scale,
      exposure: this.#timestamps === 0 ? 0 : this.#exposed / this.#timestamps,
      refusalsByReason: Object.fromEntries(this.#refusals),
    });
    return {
      strategyId: this.strategyId,
      accountId: this.#account.id,
      capital: this.#capital,
      budget,
      equity: this.#equity.result(),
      statistics,
      closedTrades: this.#trades,
      positions,
    };
  }
}
