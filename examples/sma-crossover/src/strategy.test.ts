import { createHash } from 'node:crypto';
import { type Bar, runBacktest } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { SmaCrossover } from './strategy';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
const cents = (x: number): number => Math.round(x * 100);

/** The demo strategy re-implemented as a plain loop, independent of the engine. */
function expectedFills(bars: readonly Bar[]): { date: string; side: 'buy' | 'sell'; price: number }[] {
  const out: { date: string; side: 'buy' | 'sell'; price: number }[] = [];
  let previous = Number.NaN;
  let long = false;
  let pending: 'buy' | 'sell' | undefined;
  bars.forEach((bar, i) => {
    if (pending) {
      out.push({ date: new Date(bar.ts).toISOString().slice(0, 10), side: pending, price: bar.open });
      long = pending === 'buy';
      pending = undefined;
    }
    if (i < 29) return;
    const mean = (n: number) => bars.slice(i - n + 1, i + 1).reduce((s, b) => s + b.close, 0) / n;
    const diff = mean(10) - mean(30);
    if (diff > 0 && previous <= 0 && !long) pending = 'buy';
    else if (diff < 0 && previous >= 0 && long) pending = 'sell';
    previous = diff;
  });
  return out;
}

describe('the demo: SMA(10)/SMA(30) crossover on the S&P 500, 2000–2020', () => {
  let bars: Bar[];
  let result: Awaited<ReturnType<typeof runBacktest>>;
  beforeAll(async () => {
    bars = await loadSp500Bars();
    result = await runBacktest({
      strategies: new SmaCrossover(),
      data: bars,
      instruments: [instrument],
      initialCash: 100_000,
    });
  });

  it('fills exactly where an independent plain loop says, at the next open', () => {
    const got = result.fills.map((f) => ({
      date: new Date(f.tsEvent).toISOString().slice(0, 10),
      side: f.side,
      price: f.lastPx,
    }));
    expect(got).toEqual(expectedFills(bars));
    expect(result.fills.every((f) => f.lastQty === 10)).toBe(true);
  });

  it('pins the fills: dates, prices and fees', () => {
    const rows = result.fills.map((f) => [
      new Date(f.tsEvent).toISOString().slice(0, 10),
      f.side,
      f.lastPx,
      f.lastQty,
      f.fee,
    ]);
    expect(rows).toHaveLength(175);
    expect(rows.slice(0, 4)).toEqual([
      ['2000-03-17', 'buy', 1458.47, 10, 14.58],
      ['2000-04-19', 'sell', 1441.61, 10, 14.42],
      ['2000-06-08', 'buy', 1471.36, 10, 14.71],
      ['2000-08-01', 'sell', 1430.83, 10, 14.31],
    ]);
    expect(rows.slice(-3)).toEqual([
      ['2019-10-23', 'buy', 2994.01, 10, 29.94],
      ['2020-02-28', 'sell', 2916.9, 10, 29.17],
      ['2020-04-15', 'buy', 2795.64, 10, 27.96],
    ]);
    // Every row, byte for byte.
    expect(createHash('sha256').update(JSON.stringify(rows)).digest('hex')).toBe(GOLDEN_DIGEST);
  });

  it('ends with the equity a hand computation over the fills gives, to the cent', () => {
    let cash = cents(100_000);
    let position = 0;
    let fees = 0;
    for (const f of result.fills) {
      // Fee: 0.1 % of the notional, rounded half-to-even to the cent (price has 2 decimals, qty is whole).
      const notionalCents = cents(f.lastPx) * f.lastQty;
      const feeTenthsOfCent = notionalCents; // notional × 0.001 in cents = notionalCents / 1000
      const q = Math.floor(feeTenthsOfCent / 1000);
      const r = feeTenthsOfCent - q * 1000;
      const fee = r > 500 || (r === 500 && q % 2 === 1) ? q + 1 : q;
      expect(cents(f.fee)).toBe(fee);
      fees += fee;
      cash += f.side === 'buy' ? -notionalCents - fee : notionalCents - fee;
      position += f.side === 'buy' ? f.lastQty : -f.lastQty;
    }
    const lastClose = (bars.at(-1) as Bar).close;
    const equity = cash + cents(lastClose) * position;
    expect(position).toBe(10); // the last buy is still open: valued at the last close, not force-closed
    expect(cents(result.account.cash)).toBe(cash);
    expect(cents(result.account.feesPaid)).toBe(fees);
    expect(cents(result.account.equity)).toBe(equity);
    expect(result.account.equity).toBe(104_237.98);
    expect(result.statistics.endEquity).toBe(104_237.98);
  });

  it('is deterministic: the same inputs give the same result, field for field', async () => {
    const again = await runBacktest({
      strategies: new SmaCrossover(),
      data: bars,
      instruments: [instrument],
      initialCash: 100_000,
    });
    expect(JSON.stringify(again)).toBe(JSON.stringify(result));
  });

  it('gives the same statistics when fills and closed trades are not kept (long runs)', async () => {
    const lean = await runBacktest({
      strategies: new SmaCrossover(),
      data: bars,
      instruments: [instrument],
      initialCash: 100_000,
      recordFills: false,
      recordClosedTrades: false,
    });
    expect(lean.fills).toEqual([]);
    expect(lean.closedTrades).toEqual([]);
    expect(lean.statistics).toEqual(result.statistics);
  });

  it('closes the open position at the last close when asked', async () => {
    const closed = await runBacktest({
      strategies: new SmaCrossover(),
      data: bars,
      instruments: [instrument],
      initialCash: 100_000,
      closeAtEnd: true,
    });
    expect(closed.positions.every((p) => p.quantity === 0)).toBe(true);
    const last = closed.fills.at(-1);
    expect(last?.side).toBe('sell');
    expect(last?.lastPx).toBe((bars.at(-1) as Bar).close);
    expect(closed.closedTrades).toHaveLength(88);
  });
});

const GOLDEN_DIGEST = '4a30e043ff047123c062b2311b8379ec227f911c175e5b9dd1a4fbebc28be635';
