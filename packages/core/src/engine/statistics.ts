import { invalidArgument } from '../errors';
import type { ClosedTrade } from '../model/position';

const DAY_MS = 86_400_000;
/** A Julian year: the unit of calendar time for CAGR. */
const YEAR_MS = 365.25 * DAY_MS;

/** The fields of a closed trade the statistics read (a subset of the model's `ClosedTrade`). */
export type StatisticsTrade = Pick<
  ClosedTrade,
  'symbol' | 'side' | 'entryTs' | 'exitTs' | 'entryPx' | 'exitPx' | 'quantity' | 'pnl' | 'fees' | 'returnPct'
>;

/** Input of {@link computeStatistics}. */
export interface StatisticsInput {
  /** Time of each equity point, epoch ms, non-decreasing. */
  readonly timestamps: ArrayLike<number>;
  /** Account equity at each timestamp; the first value must be > 0. */
  readonly equity: ArrayLike<number>;
  readonly trades: readonly StatisticsTrade[];
  /**
   * The trades' net PnLs, in place of `trades` for very long runs that do not keep the trade
   * objects (the trade statistics only read `pnl`). When given, `trades` is ignored.
   */
  readonly tradePnls?: ArrayLike<number>;
  /** Total fees paid over the run, in account currency. */
  readonly feesPaid: number;
  /** Fraction (0..1) of bars with an open position. */
  readonly exposure: number;
  /** Return periods per year for annualising; inferred from the timestamps when absent (see {@link inferPeriodsPerYear}). */
  readonly periodsPerYear?: number;
  /** Annual risk-free rate as a fraction (0.02 = 2 %); default 0. */
  readonly riskFreeRate?: number;
  /**
   * Orders refused over the run, by reason code: denied by pre-trade risk (`OrderDenied`) or rejected
   * by the venue (`OrderRejected`). Default none.
   */
  readonly refusalsByReason?: Readonly<Record<string, number>>;
}

/**
 * Summary statistics of a backtest. Fractions are plain numbers (0.25 = 25 %). `null` means "undefined for
 * this input" (e.g. a Sharpe ratio of a flat curve, a win rate without trades), never zero by default.
 * `Infinity` appears only where documented (profit factor, Sortino) and serialises to `null` in JSON.
 * Every formula is in docs/concepts/statistics.md and on the fields below. Per-bar returns are
 * `r_i = E_i / E_(i-1) - 1` for i = 1..n-1 (a step from a non-positive equity has no return and is left out).
 */
export interface BacktestStatistics {
  /** Number of equity points. */
  readonly bars: number;
  readonly startTs: number;
  readonly endTs: number;
  readonly startEquity: number;
  readonly endEquity: number;
  /** `endEquity / startEquity - 1`. */
  readonly totalReturn: number;
  /**
   * Compound annual growth rate over calendar time: `(endEquity / startEquity)^(1 / years) - 1` with
   * `years = (endTs - startTs) / 365.25 days`; `-1` if the end equity is ≤ 0; `null` when no time elapsed.
   * Over short spans it extrapolates wildly: read it together with the span.
   */
  readonly cagr: number | null;
  /** Sample standard deviation (n - 1) of per-bar returns × √periodsPerYear; `null` with fewer than 2 returns. */
  readonly annualVolatility: number | null;
  /**
   * `mean(r - rf) / stdev(r - rf) × √periodsPerYear`, stdev with n - 1, `rf` the per-period risk-free rate
   * `(1 + riskFreeRate)^(1/periodsPerYear) - 1`. `null` with fewer than 2 returns or zero volatility.
   */
  readonly sharpe: number | null;
  /**
   * `mean(r - rf) / DD × √periodsPerYear` with the target downside deviation
   * `DD = √(Σ min(0, r_i - rf)² / N)` over **all** N returns (Sortino & Price; returns above the target count
   * as zero, not dropped). `Infinity` when DD = 0 and the mean excess return is > 0; `null` when DD = 0
   * otherwise, or with fewer than 2 returns.
   */
  readonly sortino: number | null;
  /** Largest peak-to-trough decline as a fraction of the running peak: `max_i (P_i - E_i) / P_i`, 0..1. */
  readonly maxDrawdown: number;
  /** Currency decline of that same drawdown: peak − trough (a larger currency drop may exist elsewhere). */
  readonly maxDrawdownAmount: number;
  /** Timestamp of the peak that the max drawdown fell from; `null` without a drawdown. */
  readonly maxDrawdownPeakTs: number | null;
  /** Timestamp of its trough; `null` without a drawdown. */
  readonly maxDrawdownTroughTs: number | null;
  /** First timestamp after the trough at which equity is back at or above the peak; `null` if never. */
  readonly maxDrawdownRecoveryTs: number | null;
  /** Peak to recovery, or peak to the last point when not recovered, in ms. */
  readonly maxDrawdownDurationMs: number;
  /** The same duration in bars (index difference). */
  readonly maxDrawdownDurationBars: number;
  readonly numberOfTrades: number;
  /** Trades with pnl > 0. */
  readonly winningTrades: number;
  /** Trades with pnl < 0 (pnl = 0 is neither, but counts in the win-rate denominator). */
  readonly losingTrades: number;
  /** `winningTrades / numberOfTrades`; `null` without trades. */
  readonly winRate: number | null;
  /** Sum of positive trade pnl. */
  readonly grossProfit: number;
  /** Sum of negative trade pnl, as a positive amount. */
  readonly grossLoss: number;
  /**
   * `grossProfit / grossLoss`. `Infinity` when there are winners but no losers; `null` without trades or when
   * every trade broke even (0 / 0).
   */
  readonly profitFactor: number | null;
  /** `grossProfit / winningTrades`; `null` without winners. */
  readonly averageWin: number | null;
  /** Mean pnl of losing trades, a negative number; `null` without losers. */
  readonly averageLoss: number | null;
  /** Mean pnl per trade; `null` without trades. */
  readonly averageTrade: number | null;
  /** Fraction of bars with an open position, as given. */
  readonly exposure: number;
  readonly feesPaid: number;
  /**
   * Orders that never reached the market: denied by pre-trade risk or rejected by the venue. A run
   * whose orders were all refused trades nothing; read this before the returns.
   */
  readonly ordersRefused: number;
  /** {@link ordersRefused} by reason code (`QUANTITY_OFF_LOT`, `INSUFFICIENT_CASH`, …), most frequent first. */
  readonly refusalsByReason: Readonly<Record<string, number>>;
  /** Periods per year used for annualising (given or inferred). */
  readonly periodsPerYear: number;
  readonly riskFreeRate: number;
}

/**
 * Computes {@link BacktestStatistics} from an equity curve and the closed trades, in one pass over the
 * curve (fine for millions of points). Throws `INVALID_ARGUMENT` on an empty or mismatched curve,
 * non-finite values, decreasing timestamps, a first equity ≤ 0 or exposure outside 0..1.
 */
export function computeStatistics(input: StatisticsInput): BacktestStatistics {
  const { timestamps, equity } = input;
  validate(input);
  const riskFreeRate = input.riskFreeRate ?? 0;
  const periodsPerYear = input.periodsPerYear ?? inferPeriodsPerYear(timestamps);
  const curve = new EquityCurveStatistics({ riskFreeRate, periodsPerYear });
  for (let i = 0; i < equity.length; i++) curve.add(timestamps[i] as number, equity[i] as number);
  return curve.finish(input);
}

/** Settings of an {@link EquityCurveStatistics}. */
export interface EquityCurveStatisticsOptions {
  /** Annual risk-free rate as a fraction; default 0. */
  readonly riskFreeRate?: number;
  /**
   * Return periods per year. When absent it is inferred from the timestamps added, as
   * {@link inferPeriodsPerYear} does; that needs a risk-free rate of 0, because each return is scored
   * against the per-period rate as it arrives.
   */
  readonly periodsPerYear?: number;
}

/** What {@link EquityCurveStatistics.finish} needs besides the curve. */
export type EquityCurveSummaryInput = Pick<
  StatisticsInput,
  'trades' | 'tradePnls' | 'feesPaid' | 'exposure' | 'refusalsByReason'
>;

/**
 * The streaming form of {@link computeStatistics}: add equity points one at a time, O(1) time and memory
 * each (period inference keeps one counter per distinct gap and per distinct points-per-date value: a
 * handful for market data), then {@link EquityCurveStatistics.finish} gives the same statistics, to the
 * last bit, as `computeStatistics` over the same points (computeStatistics is built on it). The backtest
 * runner uses it, so its statistics cover every bar however far the stored curve is thinned.
 *
 * Points are trusted: timestamps non-decreasing, values finite, the first > 0. computeStatistics
 * validates before adding; the runner's values come from its integer ledgers.
 */
export class EquityCurveStatistics {
  readonly #rfPerPeriod: number;
  readonly #riskFreeRate: number;
  readonly #periodsPerYear: number | undefined;
  readonly #periods: PeriodsPerYearCounter | undefined;
  #n = 0;
  #startTs = Number.NaN;
  #startEquity = Number.NaN;
  #endTs = Number.NaN;
  #previous = Number.NaN;
  // Returns: Welford for mean/variance, a second accumulator for downside deviation.
  #count = 0;
  #mean = 0;
  #m2 = 0;
  #downsideSquares = 0;
  // Drawdown: the running peak, the deepest fall from a peak so far, and the recovery from it.
  #peak = Number.NaN;
  #peakIndex = 0;
  #peakTs = Number.NaN;
  #maxDrawdown = 0;
  #maxDrawdownAmount = 0;
  #ddPeak = Number.NaN;
  #ddPeakIndex = -1;
  #ddPeakTs = Number.NaN;
  #ddTroughIndex = -1;
  #ddTroughTs = Number.NaN;
  #recoveryIndex = -1;
  #recoveryTs = Number.NaN;

  constructor(options: EquityCurveStatisticsOptions = {}) {
    const riskFreeRate = options.riskFreeRate ?? 0;
    checkRiskFreeRate('EquityCurveStatistics', riskFreeRate);
    const periodsPerYear = options.periodsPerYear;
    if (periodsPerYear !== undefined) checkPeriodsPerYear('EquityCurveStatistics', periodsPerYear);
    else if (riskFreeRate !== 0) {
      throw invalidArgument(
        'EquityCurveStatistics: give periodsPerYear with a non-zero riskFreeRate (returns are scored as they arrive)',
      );
    }
    this.#riskFreeRate = riskFreeRate;
    this.#periodsPerYear = periodsPerYear;
    this.#rfPerPeriod = periodsPerYear === undefined ? 0 : (1 + riskFreeRate) ** (1 / periodsPerYear) - 1;
    this.#periods = periodsPerYear === undefined ? new PeriodsPerYearCounter() : undefined;
  }

  /** Number of points added. */
  get points(): number {
    return this.#n;
  }

  /** Adds the equity at time `ts`: the next point of the curve. */
  add(ts: number, value: number): void {
    const i = this.#n++;
    this.#periods?.add(ts);
    this.#endTs = ts;
    const previous = this.#previous;
    this.#previous = value;
    if (i === 0) {
      this.#startTs = ts;
      this.#startEquity = value;
      this.#peak = value;
      this.#peakTs = ts;
      return;
    }
    if (previous > 0) {
      const excess = value / previous - 1 - this.#rfPerPeriod;
      const count = ++this.#count;
      const delta = excess - this.#mean;
      const mean = this.#mean + delta / count;
      this.#mean = mean;
      this.#m2 += delta * (excess - mean);
      if (excess < 0) this.#downsideSquares += excess * excess;
    }
    const peak = this.#peak;
    if (value > peak) {
      this.#peak = value;
      this.#peakIndex = i;
      this.#peakTs = ts;
    } else {
      const drawdown = (peak - value) / peak;
      if (drawdown > this.#maxDrawdown) {
        // A deeper fall: it becomes the max drawdown, not yet recovered.
        this.#maxDrawdown = drawdown;
        this.#maxDrawdownAmount = peak - value;
        this.#ddPeak = peak;
        this.#ddPeakIndex = this.#peakIndex;
        this.#ddPeakTs = this.#peakTs;
        this.#ddTroughIndex = i;
        this.#ddTroughTs = ts;
        this.#recoveryIndex = -1;
        return;
      }
    }
    // Recovery: the first point after the trough back at or above the max drawdown's peak.
    if (this.#recoveryIndex < 0 && this.#ddTroughIndex >= 0 && value >= this.#ddPeak) {
      this.#recoveryIndex = i;
      this.#recoveryTs = ts;
    }
  }

  /** The statistics of every point added so far, with the run's trades and totals. */
  finish(input: EquityCurveSummaryInput): BacktestStatistics {
    const n = this.#n;
    if (n === 0) throw invalidArgument('EquityCurveStatistics: the equity curve is empty');
    const periodsPerYear = this.#periodsPerYear ?? (this.#periods as PeriodsPerYearCounter).result();
    const startEquity = this.#startEquity;
    const endEquity = this.#previous;
    const startTs = this.#startTs;
    const endTs = this.#endTs;
    const count = this.#count;
    const mean = this.#mean;

    const ddPeakIndex = this.#ddPeakIndex;
    const ddTroughIndex = this.#ddTroughIndex;
    const recoveryIndex = this.#recoveryIndex;
    const ddEndIndex = ddTroughIndex < 0 ? -1 : recoveryIndex >= 0 ? recoveryIndex : n - 1;
    const ddEndTs = recoveryIndex >= 0 ? this.#recoveryTs : endTs;

    const sqrtPeriods = Math.sqrt(periodsPerYear);
    const stdev = count >= 2 ? Math.sqrt(this.#m2 / (count - 1)) : Number.NaN;
    const annualVolatility = count >= 2 ? stdev * sqrtPeriods : null;
    const sharpe = count >= 2 && stdev > 0 ? (mean / stdev) * sqrtPeriods : null;
    const downsideDeviation = Math.sqrt(this.#downsideSquares / count);
    let sortino: number | null = null;
    if (count >= 2) {
      if (downsideDeviation > 0) sortino = (mean / downsideDeviation) * sqrtPeriods;
      else if (mean > 0) sortino = Number.POSITIVE_INFINITY;
    }

    const years = (endTs - startTs) / YEAR_MS;
    let cagr: number | null = null;
    if (years > 0) cagr = endEquity <= 0 ? -1 : (endEquity / startEquity) ** (1 / years) - 1;

    const trades = tradeSummary(input);
    return {
      bars: n,
      startTs,
      endTs,
      startEquity,
      endEquity,
      totalReturn: endEquity / startEquity - 1,
      cagr,
      annualVolatility,
      sharpe,
      sortino,
      maxDrawdown: this.#maxDrawdown,
      maxDrawdownAmount: this.#maxDrawdownAmount,
      maxDrawdownPeakTs: ddPeakIndex >= 0 ? this.#ddPeakTs : null,
      maxDrawdownTroughTs: ddTroughIndex >= 0 ? this.#ddTroughTs : null,
      maxDrawdownRecoveryTs: recoveryIndex >= 0 ? this.#recoveryTs : null,
      maxDrawdownDurationMs: ddEndIndex >= 0 ? ddEndTs - this.#ddPeakTs : 0,
      maxDrawdownDurationBars: ddEndIndex >= 0 ? ddEndIndex - ddPeakIndex : 0,
      ...trades,
      exposure: input.exposure,
      feesPaid: input.feesPaid,
      ...refusals(input.refusalsByReason),
      periodsPerYear,
      riskFreeRate: this.#riskFreeRate,
    };
  }
}

/** The refusal counts, sorted most frequent first (then by name) so equal runs give equal objects. */
function refusals(
  byReason: Readonly<Record<string, number>> | undefined,
): Pick<BacktestStatistics, 'ordersRefused' | 'refusalsByReason'> {
  const entries = Object.entries(byReason ?? {})
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  let total = 0;
  for (const [, n] of entries) total += n;
  return { ordersRefused: total, refusalsByReason: Object.fromEntries(entries) };
}

type TradeSummary = Pick<
  BacktestStatistics,
  | 'numberOfTrades'
  | 'winningTrades'
  | 'losingTrades'
  | 'winRate'
  | 'grossProfit'
  | 'grossLoss'
  | 'profitFactor'
  | 'averageWin'
  | 'averageLoss'
  | 'averageTrade'
>;

function tradeSummary(input: EquityCurveSummaryInput): TradeSummary {
  const { trades } = input;
  let winningTrades = 0;
  let losingTrades = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let netPnl = 0;
  const pnls = input.tradePnls;
  const numberOfTrades = pnls ? pnls.length : trades.length;
  for (let i = 0; i < numberOfTrades; i++) {
    const pnl = pnls ? (pnls[i] as number) : (trades[i] as StatisticsTrade).pnl;
    netPnl += pnl;
    if (pnl > 0) {
      winningTrades++;
      grossProfit += pnl;
    } else if (pnl < 0) {
      losingTrades++;
      grossLoss -= pnl;
    }
  }
  let profitFactor: number | null = null;
  if (grossLoss > 0) profitFactor = grossProfit / grossLoss;
  else if (grossProfit > 0) profitFactor = Number.POSITIVE_INFINITY;
  return {
    numberOfTrades,
    winningTrades,
    losingTrades,
    winRate: numberOfTrades > 0 ? winningTrades / numberOfTrades : null,
    grossProfit,
    grossLoss,
    profitFactor,
    averageWin: winningTrades > 0 ? grossProfit / winningTrades : null,
    averageLoss: losingTrades > 0 ? -grossLoss / losingTrades : null,
    averageTrade: numberOfTrades > 0 ? netPnl / numberOfTrades : null,
  };
}

function checkRiskFreeRate(where: string, value: number): void {
  if (!(value > -1 && Number.isFinite(value))) {
    throw invalidArgument(`${where}: riskFreeRate must be a finite number > -1`, { value });
  }
}

function checkPeriodsPerYear(where: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) {
    throw invalidArgument(`${where}: periodsPerYear must be a positive number`, { value });
  }
}

function validate(input: StatisticsInput): void {
  const { timestamps, equity } = input;
  if (equity === null || typeof equity !== 'object' || typeof equity.length !== 'number') {
    throw invalidArgument('computeStatistics: equity must be an array of numbers');
  }
  const n = equity.length;
  if (n === 0) throw invalidArgument('computeStatistics: the equity curve is empty');
  if (timestamps?.length !== n) {
    throw invalidArgument(
      `computeStatistics: ${timestamps?.length} timestamps for ${n} equity points (they must match)`,
    );
  }
  if (!((equity[0] as number) > 0)) {
    throw invalidArgument('computeStatistics: the first equity value must be > 0', { value: equity[0] });
  }
  let previousTs = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const ts = timestamps[i] as number;
    const value = equity[i] as number;
    if (!Number.isFinite(ts) || ts < previousTs) {
      throw invalidArgument(`computeStatistics: timestamp ${i} is not finite or goes back in time`, {
        index: i,
        ts,
      });
    }
    if (!Number.isFinite(value)) {
      throw invalidArgument(`computeStatistics: equity ${i} is not finite`, { index: i, value });
    }
    previousTs = ts;
  }
  if (!Array.isArray(input.trades)) throw invalidArgument('computeStatistics: trades must be an array');
  for (const [name, value] of [
    ['feesPaid', input.feesPaid],
    ['exposure', input.exposure],
  ] as const) {
    if (!Number.isFinite(value))
      throw invalidArgument(`computeStatistics: ${name} must be a finite number`, { value });
  }
  if (input.exposure < 0 || input.exposure > 1) {
    throw invalidArgument('computeStatistics: exposure must be a fraction in 0..1', {
      value: input.exposure,
    });
  }
  if (input.periodsPerYear !== undefined) checkPeriodsPerYear('computeStatistics', input.periodsPerYear);
  if (input.riskFreeRate !== undefined) checkRiskFreeRate('computeStatistics', input.riskFreeRate);
}

/**
 * Return periods per year implied by a series' timestamps, for annualising volatility, Sharpe and Sortino:
 * - median spacing ≥ 27 days → 12 (monthly); ≥ 6 days → 52 (weekly);
 * - otherwise `daysPerYear × barsPerDay`, where `barsPerDay` is the median number of points per UTC calendar
 *   date (1 for daily bars, 390 for US-equity minute bars, 1440 for 24/7 minute bars) and `daysPerYear` is
 *   365 when at least 10 % of the points fall on a UTC Saturday or Sunday (a 7-day market such as crypto),
 *   else 252 (exchange trading days). So daily equity bars give 252, daily crypto bars 365.
 * - fewer than 2 points, or no time between them: 252.
 * Pass `periodsPerYear` explicitly when the market's calendar is known.
 */
export function inferPeriodsPerYear(timestamps: ArrayLike<number>): number {
  const counter = new PeriodsPerYearCounter();
  for (let i = 0; i < timestamps.length; i++) counter.add(timestamps[i] as number);
  return counter.result();
}

/**
 * {@link inferPeriodsPerYear} one timestamp at a time (non-decreasing). It counts each distinct positive
 * gap and each distinct points-per-date value instead of keeping every gap: the same medians, in O(1)
 * memory for regular data and O(distinct values) at worst. A run of equal gaps (the usual case) costs one
 * comparison a point, and a point on the same date as the previous one one more.
 */
class PeriodsPerYearCounter {
  #n = 0;
  #lastTs = Number.NaN;
  readonly #gaps = new Map<number, number>();
  #gapsTotal = 0;
  #runGap = Number.NaN;
  #runLength = 0;
  readonly #perDate = new Map<number, number>();
  #dates = 0;
  #dayStart = Number.NaN;
  #dayEnd = Number.NaN;
  #dayCount = 0;
  #dayIsWeekend = false;
  #weekend = 0;

  /**
   * Counts one timestamp. Small on purpose, so it inlines into the caller's per-bar loop: the common
   * case (same gap as the last one, same day) is two compares and two increments; the rest is cold.
   */
  add(ts: number): void {
    this.#n++;
    // NaN for the first point, and never equal to a gap, so it takes the cold path, which ignores it.
    const gap = ts - this.#lastTs;
    this.#lastTs = ts;
    if (gap === this.#runGap) this.#runLength++;
    else this.#gap(gap);
    if (ts < this.#dayEnd && ts >= this.#dayStart) this.#dayCount++;
    else this.#day(ts);
  }

  /** A gap other than the current run's: a positive one starts a new run; zero or NaN is ignored. */
  #gap(gap: number): void {
    if (!(gap > 0)) return;
    this.#flushGapRun();
    this.#runGap = gap;
    this.#runLength = 1;
  }

  /** The first point of a new calendar day (UTC). */
  #day(ts: number): void {
    this.#flushDay();
    const day = Math.floor(ts / DAY_MS);
    this.#dayStart = day * DAY_MS;
    this.#dayEnd = this.#dayStart + DAY_MS;
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    this.#dayIsWeekend = weekday === 0 || weekday === 6;
    this.#dayCount = 1;
  }

  /** The inferred periods per year; further points may still be added. */
  result(): number {
    const n = this.#n;
    if (n < 2) return 252;
    this.#flushGapRun();
    this.#flushDay();
    if (this.#gapsTotal === 0) return 252;
    const spacing = medianOfCounts(this.#gaps, this.#gapsTotal);
    if (spacing >= 27 * DAY_MS) return 12;
    if (spacing >= 6 * DAY_MS) return 52;
    const barsPerDay = Math.max(1, Math.round(medianOfCounts(this.#perDate, this.#dates)));
    const daysPerYear = this.#weekend / n >= 0.1 ? 365 : 252;
    return daysPerYear * barsPerDay;
  }

  #flushGapRun(): void {
    if (this.#runLength === 0) return;
    this.#gaps.set(this.#runGap, (this.#gaps.get(this.#runGap) ?? 0) + this.#runLength);
    this.#gapsTotal += this.#runLength;
    this.#runLength = 0;
  }

  #flushDay(): void {
    const count = this.#dayCount;
    if (count === 0) return;
    this.#perDate.set(count, (this.#perDate.get(count) ?? 0) + 1);
    this.#dates++;
    if (this.#dayIsWeekend) this.#weekend += count;
    this.#dayCount = 0;
  }
}

/**
 * The median of a multiset given as value → count, `total` being the sum of the counts: the middle value,
 * or the mean of the two middle values when `total` is even.
 */
function medianOfCounts(counts: ReadonlyMap<number, number>, total: number): number {
  const values = [...counts.keys()].sort((a, b) => a - b);
  const upperRank = total >> 1;
  const lowerRank = total % 2 === 1 ? upperRank : upperRank - 1;
  let seen = 0;
  let lower = Number.NaN;
  for (const value of values) {
    seen += counts.get(value) as number;
    if (Number.isNaN(lower) && lowerRank < seen) lower = value;
    if (upperRank < seen) return (lower + value) / 2;
  }
  throw new Error('medianOfCounts: total exceeds the counts');
}
