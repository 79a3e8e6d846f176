import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeStatistics,
  EquityCurveStatistics,
  inferPeriodsPerYear,
  type StatisticsInput,
  type StatisticsTrade,
} from './statistics';

const DAY = 86_400_000;
const YEAR = 365.25 * DAY;
const MON = Date.UTC(2024, 0, 1); // a Monday

const days = (n: number, start = MON): number[] => Array.from({ length: n }, (_, i) => start + i * DAY);

const trade = (pnl: number): StatisticsTrade => ({
  symbol: 'X',
  side: 'long',
  entryTs: MON,
  exitTs: MON + DAY,
  entryPx: 100,
  exitPx: 100 + pnl,
  quantity: 1,
  pnl,
  fees: 0,
  returnPct: pnl / 100,
});

const stats = (equity: number[], overrides: Partial<StatisticsInput> = {}) =>
  computeStatistics({
    timestamps: days(equity.length),
    equity,
    trades: [],
    feesPaid: 0,
    exposure: 0.5,
    periodsPerYear: 252,
    ...overrides,
  });

describe('computeStatistics: returns-based ratios', () => {
  // Returns: +10 %, -10 %, 121/99 - 1 = 2/9. Mean 2/27 = 0.0740741.
  // Sample stdev: sqrt(((0.7/27)² + (4.7/27)² + (4/27)²) / 2) = 0.1626681.
  const s = stats([100, 110, 99, 121]);

  it('total return, volatility, Sharpe, Sortino', () => {
    expect(s.startEquity).toBe(100);
    expect(s.endEquity).toBe(121);
    expect(s.totalReturn).toBeCloseTo(0.21, 12);
    expect(s.annualVolatility).toBeCloseTo(0.1626681 * Math.sqrt(252), 5); // 2.582276
    expect(s.annualVolatility).toBeCloseTo(2.582276, 5);
    expect(s.sharpe).toBeCloseTo(7.228766, 5); // 0.0740741 / 0.1626681 × √252
    // Downside deviation over all 3 returns: sqrt(0.1² / 3) = 0.0577350; 0.0740741 / 0.0577350 × √252.
    expect(s.sortino).toBeCloseTo(20.367003, 5);
  });

  it('max drawdown and its duration (recovered)', () => {
    expect(s.maxDrawdown).toBeCloseTo(0.1, 12); // 110 -> 99
    expect(s.maxDrawdownAmount).toBeCloseTo(11, 12);
    expect(s.maxDrawdownPeakTs).toBe(MON + DAY);
    expect(s.maxDrawdownTroughTs).toBe(MON + 2 * DAY);
    expect(s.maxDrawdownRecoveryTs).toBe(MON + 3 * DAY);
    expect(s.maxDrawdownDurationBars).toBe(2);
    expect(s.maxDrawdownDurationMs).toBe(2 * DAY);
  });

  it('subtracts the per-period risk-free rate', () => {
    // rf per period = 1.1^(1/4) - 1 = 0.0241137; excess returns -0.0141137, 0.0058863.
    // Sharpe = mean / stdev × 2 = -0.0041137 / 0.0141421 × 2; Sortino = -0.0041137 / sqrt(0.0141137² / 2) × 2.
    const r = computeStatistics({
      timestamps: [0, 1, 2],
      equity: [100, 101, 104.03],
      trades: [],
      feesPaid: 0,
      exposure: 1,
      periodsPerYear: 4,
      riskFreeRate: 0.1,
    });
    expect(r.sharpe).toBeCloseTo(-0.581763, 5);
    expect(r.sortino).toBeCloseTo(-0.824396, 5);
    expect(r.riskFreeRate).toBe(0.1);
  });
});

describe('computeStatistics: CAGR', () => {
  it('uses calendar time: 100 -> 121 over two 365.25-day years is 10 % a year', () => {
    const r = computeStatistics({
      timestamps: [0, 2 * YEAR],
      equity: [100, 121],
      trades: [],
      feesPaid: 0,
      exposure: 0,
    });
    expect(r.cagr).toBeCloseTo(0.1, 12);
  });

  it('is -1 after a total loss', () => {
    const r = computeStatistics({
      timestamps: [0, YEAR],
      equity: [100, 0],
      trades: [],
      feesPaid: 0,
      exposure: 1,
    });
    expect(r.cagr).toBe(-1);
    expect(r.maxDrawdown).toBe(1);
  });
});

describe('computeStatistics: drawdown conventions', () => {
  it('picks the largest fractional drawdown, keeps the amount of that same drawdown', () => {
    // 100 -> 50 is -50 % (amount 50); 1000 -> 800 is -20 % but a larger amount (200).
    const r = stats([100, 50, 1000, 800]);
    expect(r.maxDrawdown).toBeCloseTo(0.5, 12);
    expect(r.maxDrawdownAmount).toBeCloseTo(50, 12);
    expect(r.maxDrawdownRecoveryTs).toBe(MON + 2 * DAY);
  });

  it('measures an unrecovered drawdown from the peak to the end', () => {
    const r = stats([100, 120, 90, 100, 110]);
    expect(r.maxDrawdown).toBeCloseTo(0.25, 12);
    expect(r.maxDrawdownAmount).toBeCloseTo(30, 12);
    expect(r.maxDrawdownRecoveryTs).toBeNull();
    expect(r.maxDrawdownDurationBars).toBe(3); // index 1 (peak) to 4 (last)
    expect(r.maxDrawdownDurationMs).toBe(3 * DAY);
  });

  it('reports no drawdown for a rising curve, and an infinite Sortino', () => {
    const r = stats([100, 101, 103, 106]);
    expect(r.maxDrawdown).toBe(0);
    expect(r.maxDrawdownAmount).toBe(0);
    expect(r.maxDrawdownPeakTs).toBeNull();
    expect(r.maxDrawdownDurationBars).toBe(0);
    expect(r.maxDrawdownDurationMs).toBe(0);
    expect(r.sortino).toBe(Number.POSITIVE_INFINITY);
    expect(r.sharpe).toBeGreaterThan(0);
  });
});

describe('computeStatistics: trades', () => {
  it('win rate, profit factor, averages (breakeven counts as a trade but not a win or a loss)', () => {
    const r = stats([100, 150], { trades: [50, -20, 30, 0, -10].map(trade), feesPaid: 12.5, exposure: 0.3 });
    expect(r.numberOfTrades).toBe(5);
    expect(r.winningTrades).toBe(2);
    expect(r.losingTrades).toBe(2);
    expect(r.winRate).toBeCloseTo(0.4, 12);
    expect(r.grossProfit).toBe(80);
    expect(r.grossLoss).toBe(30);
    expect(r.profitFactor).toBeCloseTo(80 / 30, 12);
    expect(r.averageWin).toBe(40);
    expect(r.averageLoss).toBe(-15);
    expect(r.averageTrade).toBe(10);
    expect(r.feesPaid).toBe(12.5);
    expect(r.exposure).toBe(0.3);
  });

  it('profit factor is Infinity with only winners and null when every trade broke even', () => {
    expect(stats([100, 110], { trades: [trade(5), trade(5)] }).profitFactor).toBe(Number.POSITIVE_INFINITY);
    const even = stats([100, 100], { trades: [trade(0)] });
    expect(even.profitFactor).toBeNull();
    expect(even.winRate).toBe(0);
    expect(even.averageWin).toBeNull();
    expect(even.averageLoss).toBeNull();
  });

  it('no trades: trade statistics are null or zero', () => {
    const r = stats([100, 105, 103]);
    expect(r).toMatchObject({
      numberOfTrades: 0,
      winRate: null,
      profitFactor: null,
      averageWin: null,
      averageLoss: null,
      averageTrade: null,
      grossProfit: 0,
      grossLoss: 0,
    });
  });
});

describe('computeStatistics: edge cases', () => {
  it('flat equity: zero return and volatility, undefined Sharpe and Sortino, no drawdown', () => {
    const r = stats([100, 100, 100, 100]);
    expect(r.totalReturn).toBe(0);
    expect(r.cagr).toBe(0);
    expect(r.annualVolatility).toBe(0);
    expect(r.sharpe).toBeNull();
    expect(r.sortino).toBeNull();
    expect(r.maxDrawdown).toBe(0);
  });

  it('a single bar: no period to measure', () => {
    const r = computeStatistics({ timestamps: [MON], equity: [1000], trades: [], feesPaid: 0, exposure: 0 });
    expect(r).toMatchObject({
      bars: 1,
      startTs: MON,
      endTs: MON,
      startEquity: 1000,
      endEquity: 1000,
      totalReturn: 0,
      cagr: null,
      annualVolatility: null,
      sharpe: null,
      sortino: null,
      maxDrawdown: 0,
      maxDrawdownDurationBars: 0,
      periodsPerYear: 252,
    });
  });

  it('rejects bad input with INVALID_ARGUMENT', () => {
    const base: StatisticsInput = {
      timestamps: [1, 2],
      equity: [100, 101],
      trades: [],
      feesPaid: 0,
      exposure: 0,
    };
    const bad: Partial<StatisticsInput>[] = [
      { timestamps: [], equity: [] },
      { timestamps: [1] },
      { equity: [0, 1] },
      { equity: [100, Number.NaN] },
      { timestamps: [2, 1] },
      { exposure: 1.5 },
      { periodsPerYear: 0 },
      { riskFreeRate: Number.NaN },
    ];
    for (const overrides of bad) {
      expect(() => computeStatistics({ ...base, ...overrides })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
  });
});

describe('inferPeriodsPerYear', () => {
  const weekdays = (n: number): number[] => {
    const out: number[] = [];
    for (let d = MON; out.length < n; d += DAY) {
      const weekday = new Date(d).getUTCDay();
      if (weekday !== 0 && weekday !== 6) out.push(d);
    }
    return out;
  };

  it('daily exchange bars -> 252, daily 7-day bars -> 365', () => {
    expect(inferPeriodsPerYear(weekdays(300))).toBe(252);
    expect(inferPeriodsPerYear(days(300))).toBe(365);
  });

  it('weekly -> 52, monthly -> 12', () => {
    expect(inferPeriodsPerYear(Array.from({ length: 60 }, (_, i) => MON + i * 7 * DAY))).toBe(52);
    expect(inferPeriodsPerYear(Array.from({ length: 36 }, (_, i) => Date.UTC(2020, i, 1)))).toBe(12);
  });

  it('US-equity minute bars -> 252 × 390; 24/7 hourly bars -> 365 × 24', () => {
    const minutes: number[] = [];
    for (const day of weekdays(20)) {
      for (let m = 0; m < 390; m++) minutes.push(day + 14.5 * 3_600_000 + m * 60_000);
    }
    expect(inferPeriodsPerYear(minutes)).toBe(252 * 390);
    expect(inferPeriodsPerYear(Array.from({ length: 24 * 60 }, (_, i) => MON + i * 3_600_000))).toBe(
      365 * 24,
    );
  });

  it('falls back to 252 without spacing', () => {
    expect(inferPeriodsPerYear([MON])).toBe(252);
    expect(inferPeriodsPerYear([MON, MON])).toBe(252);
  });

  it('is used when periodsPerYear is absent', () => {
    const r = computeStatistics({
      timestamps: days(10),
      equity: days(10).map((_, i) => 100 + i),
      trades: [],
      feesPaid: 0,
      exposure: 0,
    });
    expect(r.periodsPerYear).toBe(365);
  });
});

/** The median of a copy, sorted: the reference the counting median must equal. */
function sortedMedian(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** inferPeriodsPerYear as its doc comment states it, written plainly (every gap kept, sorted medians). */
function referencePeriodsPerYear(ts: readonly number[]): number {
  if (ts.length < 2) return 252;
  const gaps = ts
    .slice(1)
    .map((t, i) => t - (ts[i] as number))
    .filter((g) => g > 0);
  if (gaps.length === 0) return 252;
  const spacing = sortedMedian(gaps);
  if (spacing >= 27 * DAY) return 12;
  if (spacing >= 6 * DAY) return 52;
  const perDate = new Map<number, number>();
  let weekend = 0;
  for (const t of ts) {
    const day = Math.floor(t / DAY);
    perDate.set(day, (perDate.get(day) ?? 0) + 1);
    const weekday = new Date(t).getUTCDay();
    if (weekday === 0 || weekday === 6) weekend++;
  }
  const barsPerDay = Math.max(1, Math.round(sortedMedian([...perDate.values()])));
  return (weekend / ts.length >= 0.1 ? 365 : 252) * barsPerDay;
}

/** The drawdown fields as the doc comments define them, in two plain passes over the whole curve. */
function referenceDrawdown(ts: readonly number[], equity: readonly number[]) {
  let best = { dd: 0, amount: 0, peak: -1, trough: -1 };
  let peak = 0;
  for (let i = 1; i < equity.length; i++) {
    if ((equity[i] as number) > (equity[peak] as number)) peak = i;
    const dd = ((equity[peak] as number) - (equity[i] as number)) / (equity[peak] as number);
    if (dd > best.dd)
      best = { dd, amount: (equity[peak] as number) - (equity[i] as number), peak, trough: i };
  }
  let recovery = -1;
  if (best.trough >= 0)
    recovery = equity.findIndex((e, i) => i > best.trough && e >= (equity[best.peak] as number));
  const end = best.trough < 0 ? -1 : recovery >= 0 ? recovery : equity.length - 1;
  return {
    maxDrawdown: best.dd,
    maxDrawdownAmount: best.amount,
    maxDrawdownPeakTs: best.peak >= 0 ? ts[best.peak] : null,
    maxDrawdownTroughTs: best.trough >= 0 ? ts[best.trough] : null,
    maxDrawdownRecoveryTs: recovery >= 0 ? ts[recovery] : null,
    maxDrawdownDurationMs: end >= 0 ? (ts[end] as number) - (ts[best.peak] as number) : 0,
    maxDrawdownDurationBars: end >= 0 ? end - best.peak : 0,
  };
}

describe('EquityCurveStatistics (the streaming form)', () => {
  // Timestamps: runs of a few regular spacings with random jumps (weekends, gaps, repeats).
  const timestampsArb = fc
    .array(
      fc.tuple(
        fc.constantFrom(0, 60_000, 3_600_000, DAY, 7 * DAY, 30 * DAY),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 5 * DAY }),
      ),
      { minLength: 1, maxLength: 12 },
    )
    .chain(([...runs]) =>
      fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2030, 0, 1) }).map((start) => {
        const ts: number[] = [];
        let t = start;
        for (const [step, count, jump] of runs) {
          t += jump;
          for (let i = 0; i < count; i++) {
            ts.push(t);
            t += step;
          }
        }
        return ts;
      }),
    );

  it('infers the periods per year as the plain every-gap algorithm does', () => {
    fc.assert(
      fc.property(timestampsArb, (ts) => {
        expect(inferPeriodsPerYear(ts)).toBe(referencePeriodsPerYear(ts));
      }),
      { numRuns: 500 },
    );
  });

  it('gives computeStatistics to the last bit, point by point, with inferred periods', () => {
    fc.assert(
      fc.property(
        timestampsArb.chain((ts) =>
          fc
            .array(fc.double({ min: -0.2, max: 0.25, noNaN: true }), {
              minLength: ts.length,
              maxLength: ts.length,
            })
            .map((moves) => {
              let e = 1_000;
              return { ts, equity: moves.map((m) => (e = Math.max(0, e * (1 + m)))) };
            }),
        ),
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { maxLength: 20 }),
        ({ ts, equity }, pnls) => {
          fc.pre((equity[0] as number) > 0);
          const curve = new EquityCurveStatistics();
          for (let i = 0; i < ts.length; i++) curve.add(ts[i] as number, equity[i] as number);
          const totals = { trades: [], tradePnls: pnls, feesPaid: 3.5, exposure: 0.5 };
          expect(curve.points).toBe(ts.length);
          const streamed = curve.finish(totals);
          expect(streamed).toEqual(computeStatistics({ timestamps: ts, equity, ...totals }));
          expect(streamed).toMatchObject(referenceDrawdown(ts, equity));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('scores against the risk-free rate when the periods are given, and refuses a rate it cannot apply', () => {
    const ts = days(6);
    const equity = [100, 101, 99, 103, 102, 104];
    const curve = new EquityCurveStatistics({ riskFreeRate: 0.03, periodsPerYear: 252 });
    for (let i = 0; i < ts.length; i++) curve.add(ts[i] as number, equity[i] as number);
    const totals = { trades: [], feesPaid: 0, exposure: 1 };
    expect(curve.finish(totals)).toEqual(
      computeStatistics({ timestamps: ts, equity, ...totals, riskFreeRate: 0.03, periodsPerYear: 252 }),
    );
    expect(() => new EquityCurveStatistics({ riskFreeRate: 0.03 })).toThrow(/periodsPerYear/);
    expect(() => new EquityCurveStatistics({ periodsPerYear: 0 })).toThrow(/positive/);
    expect(() => new EquityCurveStatistics().finish(totals)).toThrow(/empty/);
  });
});
