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
  const { timestamps, equity, trades } = input;
  const n = equity.length;
  validate(input);
  const riskFreeRate = input.riskFreeRate ?? 0;
  const periodsPerYear = input.periodsPerYear ?? inferPeriodsPerYear(timestamps);

  const startEquity = equity[0] as number;
  const endEquity = equity[n - 1] as number;
  const startTs = timestamps[0] as number;
  const endTs = timestamps[n - 1] as number;

  // Returns: Welford for mean/variance, a second accumulator for downside deviation.
  const rfPerPeriod = (1 + riskFreeRate) ** (1 / periodsPerYear) - 1;
  let count = 0;
  let mean = 0;
  let m2 = 0;
  let downsideSquares = 0;
  // Drawdown.
  let peak = startEquity;
  let peakIndex = 0;
  let maxDrawdown = 0;
  let maxDrawdownAmount = 0;
  let ddPeakIndex = -1;
  let ddTroughIndex = -1;
  for (let i = 1; i < n; i++) {
    const previous = equity[i - 1] as number;
    const value = equity[i] as number;
    if (previous > 0) {
      const excess = value / previous - 1 - rfPerPeriod;
      count++;
      const delta = excess - mean;
      mean += delta / count;
      m2 += delta * (excess - mean);
      if (excess < 0) downsideSquares += excess * excess;
    }
    if (value > peak) {
      peak = value;
      peakIndex = i;
    } else {
      const drawdown = (peak - value) / peak;
      if (drawdown > maxDrawdown) {
        maxDrawdown = drawdown;
        maxDrawdownAmount = peak - value;
        ddPeakIndex = peakIndex;
        ddTroughIndex = i;
      }
    }
  }

  let recoveryIndex = -1;
  if (ddTroughIndex >= 0) {
    const ddPeak = equity[ddPeakIndex] as number;
    for (let i = ddTroughIndex + 1; i < n; i++) {
      if ((equity[i] as number) >= ddPeak) {
        recoveryIndex = i;
        break;
      }
    }
  }
  const ddEndIndex = ddTroughIndex < 0 ? -1 : recoveryIndex >= 0 ? recoveryIndex : n - 1;

  const sqrtPeriods = Math.sqrt(periodsPerYear);
  const stdev = count >= 2 ? Math.sqrt(m2 / (count - 1)) : Number.NaN;
  const annualVolatility = count >= 2 ? stdev * sqrtPeriods : null;
  const sharpe = count >= 2 && stdev > 0 ? (mean / stdev) * sqrtPeriods : null;
  const downsideDeviation = Math.sqrt(downsideSquares / count);
  let sortino: number | null = null;
  if (count >= 2) {
    if (downsideDeviation > 0) sortino = (mean / downsideDeviation) * sqrtPeriods;
    else if (mean > 0) sortino = Number.POSITIVE_INFINITY;
  }

  const years = (endTs - startTs) / YEAR_MS;
  let cagr: number | null = null;
  if (years > 0) cagr = endEquity <= 0 ? -1 : (endEquity / startEquity) ** (1 / years) - 1;

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
    maxDrawdown,
    maxDrawdownAmount,
    maxDrawdownPeakTs: ddPeakIndex >= 0 ? (timestamps[ddPeakIndex] as number) : null,
    maxDrawdownTroughTs: ddTroughIndex >= 0 ? (timestamps[ddTroughIndex] as number) : null,
    maxDrawdownRecoveryTs: recoveryIndex >= 0 ? (timestamps[recoveryIndex] as number) : null,
    maxDrawdownDurationMs:
      ddEndIndex >= 0 ? (timestamps[ddEndIndex] as number) - (timestamps[ddPeakIndex] as number) : 0,
    maxDrawdownDurationBars: ddEndIndex >= 0 ? ddEndIndex - ddPeakIndex : 0,
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
    exposure: input.exposure,
    feesPaid: input.feesPaid,
    periodsPerYear,
    riskFreeRate,
  };
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
  if (
    input.periodsPerYear !== undefined &&
    !(input.periodsPerYear > 0 && Number.isFinite(input.periodsPerYear))
  ) {
    throw invalidArgument('computeStatistics: periodsPerYear must be a positive number', {
      value: input.periodsPerYear,
    });
  }
  if (input.riskFreeRate !== undefined && !(input.riskFreeRate > -1 && Number.isFinite(input.riskFreeRate))) {
    throw invalidArgument('computeStatistics: riskFreeRate must be a finite number > -1', {
      value: input.riskFreeRate,
    });
  }
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
  const n = timestamps.length;
  if (n < 2) return 252;
  const gaps = new Float64Array(n - 1);
  let count = 0;
  for (let i = 1; i < n; i++) {
    const gap = (timestamps[i] as number) - (timestamps[i - 1] as number);
    if (gap > 0) gaps[count++] = gap;
  }
  if (count === 0) return 252;
  const spacing = median(gaps.subarray(0, count));
  if (spacing >= 27 * DAY_MS) return 12;
  if (spacing >= 6 * DAY_MS) return 52;

  const perDate = new Float64Array(n);
  let dates = 0;
  let weekend = 0;
  let currentDay = Number.NaN;
  for (let i = 0; i < n; i++) {
    const day = Math.floor((timestamps[i] as number) / DAY_MS);
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    if (weekday === 0 || weekday === 6) weekend++;
    if (day === currentDay) perDate[dates - 1] = (perDate[dates - 1] as number) + 1;
    else {
      perDate[dates++] = 1;
      currentDay = day;
    }
  }
  const barsPerDay = Math.max(1, Math.round(median(perDate.subarray(0, dates))));
  const daysPerYear = weekend / n >= 0.1 ? 365 : 252;
  return daysPerYear * barsPerDay;
}

/** Median by quickselect (expected O(n)); reorders `values`, which the callers own. */
function median(values: Float64Array): number {
  const n = values.length;
  const mid = n >> 1;
  const upper = select(values, mid);
  if (n % 2 === 1) return upper;
  // After selecting `mid`, everything left of it is ≤ it: the lower middle is their maximum.
  let lower = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < mid; i++) if ((values[i] as number) > lower) lower = values[i] as number;
  return (lower + upper) / 2;
}

/** Hoare's quickselect: the k-th smallest value, leaving smaller values left of index k. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k] as number;
}
