import { runBacktest } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { expect, it } from 'vitest';
import { BreakoutAtr } from './strategy';

it('trades the S&P 500 without strategy errors, and its books balance', async () => {
  const bars = await loadSp500Bars();
  const result = await runBacktest({
    strategies: new BreakoutAtr(),
    data: bars,
    instruments: [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }],
  });
  expect(result.strategyEvents).toEqual([]);
  expect(result.closedTrades.length).toBeGreaterThan(5);
  const a = result.account;
  // equity = initial + realized + unrealized − fees, to the cent
  expect(Math.round(a.equity * 100)).toBe(
    Math.round((a.initialCash + a.realizedPnl + a.unrealizedPnl - a.feesPaid) * 100),
  );
});
