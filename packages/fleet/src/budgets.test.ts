import { type Bar, type Fill, runBacktest } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import { type FleetPlan, ResolvedPlan, strategyClass } from './plan';
import { fleetReport } from './report';
import { runFleet } from './run-fleet';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
const trade = (f: Fill) => ({
  ts: f.tsEvent,
  strategy: f.strategyId,
  side: f.side,
  px: f.lastPx,
  qty: f.lastQty,
  fee: f.fee,
});

let bars: Bar[];
beforeAll(async () => {
  bars = (await loadSp500Bars()).slice(0, 2_000);
});

// Two variants of one strategy on one account, each with its own budget: `fast` can afford its
// 10 units only while the index is low, so its later entries are denied.
const strategies = [
  { id: 'fast', params: { fast: 5, slow: 20, quantity: 10 } },
  { id: 'slow', params: { fast: 10, slow: 30, quantity: 3 } },
] as const;

describe('strategy budgets in the fleet (in-memory bus): core’s rule, the backtest’s decisions', () => {
  it('the same fills, the same STRATEGY_BUDGET_EXCEEDED denials, the same accounts', async () => {
    const first = bars[0] as Bar;
    // Enough for 10 units (and fee) near the start only.
    const budgets = { fast: Math.round(first.close * 10 * 1.08), slow: 1_000_000 };
    const backtest = await runBacktest({
      strategies: strategies.map(
        (s) => new SmaCrossover({ id: s.id, symbols: [instrument.id], accountId: 'main', params: s.params }),
      ),
      data: bars,
      instruments: [instrument],
      accounts: [{ id: 'main', initialCash: 1_000_000 }],
      budgets,
    });
    const denied = backtest.refusals.find((r) => r.reason === 'STRATEGY_BUDGET_EXCEEDED');
    expect(denied?.count).toBeGreaterThan(0);
    expect(denied?.first.strategyId).toBe('fast');
    expect(backtest.fills.filter((f) => f.strategyId === 'fast').length).toBeGreaterThan(0);

    const plan: FleetPlan = {
      instruments: [instrument],
      accounts: [{ id: 'main', initialCash: 1_000_000 }],
      strategies: strategies.map((s) => ({
        id: s.id,
        symbol: instrument.id,
        accountId: 'main',
        params: s.params,
        create: strategyClass(SmaCrossover),
      })),
    };
    const fleet = await runFleet({ plan, data: bars, frameSize: 250, budgets });
    expect(fleet.strategyEvents).toEqual([]);
    expect(fleet.fills.map(trade)).toEqual(backtest.fills.map(trade));
    expect(fleet.refusals.map((r) => [r.reason, r.count])).toEqual(
      backtest.refusals.map((r) => [r.reason, r.count]),
    );
    expect(fleet.refusals.find((r) => r.reason === 'STRATEGY_BUDGET_EXCEEDED')?.first.message).toBe(
      denied?.first.message,
    );
    expect(fleet.accounts).toEqual(backtest.accounts);

    // Each strategy's own results, rebuilt from the run: the backtest's, budget and refusals included.
    const report = await fleetReport({
      data: bars,
      run: fleet,
      instruments: new ResolvedPlan(plan).instruments,
      accounts: plan.accounts,
    });
    expect(backtest.strategies.map((s) => s.strategyId)).toEqual(['fast', 'slow']);
    expect(backtest.strategies[0]?.statistics.refusalsByReason['STRATEGY_BUDGET_EXCEEDED']).toBe(
      denied?.count,
    );
    expect(backtest.strategies[0]?.budget?.budget).toBe(budgets.fast);
    expect(backtest.strategies[1]?.closedTrades.length).toBeGreaterThan(0);
    expect(report.strategies).toEqual(backtest.strategies);

    // Without the budget the fleet lets `fast` trade on: the denials above are the budget's.
    const free = await runFleet({ plan, data: bars, frameSize: 250 });
    expect(free.refusals).toEqual([]);
    expect(free.fills.length).toBeGreaterThan(fleet.fills.length);
  });
});
