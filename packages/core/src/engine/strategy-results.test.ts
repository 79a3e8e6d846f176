import { describe, expect, it } from 'vitest';
import { FixtureSmaCross, fixtureBars } from '../strategy/optimize.fixture';
import { runBacktest } from './backtest';
import { computeStatistics } from './statistics';

const instrument = { id: 'SYN', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };
const bars = fixtureBars(2_000);
const pair = () => [
  new FixtureSmaCross({ id: 'fast', params: { fast: 5, slow: 20, quantity: 10 } }),
  new FixtureSmaCross({ id: 'slow', params: { fast: 10, slow: 40, quantity: 7 } }),
];

describe('runBacktest: per-strategy results from the virtual books', () => {
  it('gives each strategy an equity curve whose gains add up to the account’s, to the cent', async () => {
    const result = await runBacktest({ strategies: pair(), data: bars, instruments: [instrument] });
    expect(result.strategies.map((s) => [s.strategyId, s.accountId, s.capital, s.budget])).toEqual([
      ['fast', 'default', 100_000, undefined],
      ['slow', 'default', 100_000, undefined],
    ]);
    const [fast, slow] = result.strategies;
    if (!fast || !slow) throw new Error('two results expected');
    expect(fast.equity.timestamps).toEqual(result.equity.timestamps);
    for (let i = 0; i < result.equity.values.length; i++) {
      const gains = (fast.equity.values[i] as number) - 100_000 + (slow.equity.values[i] as number) - 100_000;
      expect(Math.round(gains * 100)).toBe(Math.round(((result.equity.values[i] as number) - 100_000) * 100));
    }
    // Each strategy's round trips are its own; their PnLs add up to its realised PnL net of fees.
    expect(fast.closedTrades.length).toBeGreaterThan(5);
    expect(fast.closedTrades.every((t) => t.strategyId === 'fast')).toBe(true);
    expect(slow.closedTrades.every((t) => t.strategyId === 'slow')).toBe(true);
    expect(fast.statistics.numberOfTrades).toBe(fast.closedTrades.length);
    expect(fast.statistics).toEqual(
      computeStatistics({
        timestamps: fast.equity.timestamps,
        equity: fast.equity.values,
        trades: fast.closedTrades,
        feesPaid: fast.statistics.feesPaid,
        exposure: fast.statistics.exposure,
      }),
    );
    expect(fast.statistics.feesPaid + slow.statistics.feesPaid).toBeCloseTo(result.account.feesPaid, 9);
    expect(fast.statistics.feesPaid).not.toBe(slow.statistics.feesPaid);
    // Its positions are the virtual ones.
    expect(fast.positions.map((p) => p.strategyId)).toEqual(['fast']);
  });

  it('alone, a strategy’s result is the account’s; with a budget its capital is the budget', async () => {
    const alone = await runBacktest({
      strategies: new FixtureSmaCross({ id: 'fast', params: { fast: 5, slow: 20 } }),
      data: bars,
      instruments: [instrument],
      strategyResults: true,
    });
    const [mine] = alone.strategies;
    expect(mine?.equity).toEqual(alone.equity);
    expect(mine?.statistics).toEqual(alone.statistics);
    expect(mine?.closedTrades).toEqual(alone.closedTrades);
    // Off by default for one strategy without a budget: the demo's path does no extra work.
    const plain = await runBacktest({
      strategies: new FixtureSmaCross({ id: 'fast', params: { fast: 5, slow: 20 } }),
      data: bars,
      instruments: [instrument],
    });
    expect(plain.strategies).toEqual([]);

    const budgeted = await runBacktest({
      strategies: new FixtureSmaCross({ id: 'fast', params: { fast: 5, slow: 20, quantity: 30 } }),
      data: bars,
      instruments: [instrument],
      budgets: { fast: 2_500 },
    });
    const [b] = budgeted.strategies;
    expect(b?.capital).toBe(2_500);
    expect(b?.equity.values[0]).toBe(2_500);
    expect(b?.budget).toMatchObject({ strategyId: 'fast', budget: 2_500, reserved: 0 });
    // 30 units need ~3,000 while the price is near 100: those entries are refused, and the
    // strategy's statistics say why; it trades only when it can afford to.
    expect(budgeted.statistics.ordersRefused).toBeGreaterThan(0);
    expect(b?.statistics.refusalsByReason).toEqual({
      STRATEGY_BUDGET_EXCEEDED: budgeted.statistics.ordersRefused,
    });
  });
});
