import { type Fill, runBacktest } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { expect, it } from 'vitest';
import { BreakoutAtr } from './strategy';

it('trades the S&P 500 in brackets: each entry is closed by its own take-profit or stop-loss, fill by fill', async () => {
  const bars = await loadSp500Bars();
  const result = await runBacktest({
    strategies: new BreakoutAtr(),
    data: bars,
    instruments: [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }],
  });
  expect(result.strategyEvents).toEqual([]);
  const fills: readonly Fill[] = result.fills;
  // Entry, then an exit of that entry ('-tp' at its limit or better, or '-sl'), and so on.
  for (let i = 0; i + 1 < fills.length; i += 2) {
    const entry = fills[i] as Fill;
    const exit = fills[i + 1] as Fill;
    expect(entry.side).toBe('buy');
    expect(exit.side).toBe('sell');
    expect(exit.lastQty).toBe(entry.lastQty);
    expect([`${entry.clientOrderId}-tp`, `${entry.clientOrderId}-sl`]).toContain(exit.clientOrderId);
    expect(exit.tsEvent).toBeGreaterThan(entry.tsEvent);
  }
  const exits = fills.filter((f) => f.side === 'sell').map((f) => f.clientOrderId.slice(-2));
  expect(exits.filter((e) => e === 'tp').length).toBeGreaterThan(0);
  expect(exits.filter((e) => e === 'sl').length).toBeGreaterThan(0);
  const a = result.account;
  expect(Math.round(a.equity * 100)).toBe(
    Math.round((a.initialCash + a.realizedPnl + a.unrealizedPnl - a.feesPaid) * 100),
  );
  expect({ fills: fills.length, equity: a.equity.toFixed(2) }).toMatchInlineSnapshot(`
    {
      "equity": "97416.00",
      "fills": 204,
    }
  `);
});
