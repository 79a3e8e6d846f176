import {
  type Bar,
  type Clock,
  defineInstrument,
  runBacktest,
  ShadowExecutionClient,
  SimulatedVenue,
} from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { SmaCrossover } from '../../../examples/sma-crossover/src/strategy';
import { type FleetPlan, strategyClass } from './plan';
import { runFleet } from './run-fleet';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
let bars: Bar[];
beforeAll(async () => {
  bars = (await loadSp500Bars()).slice(0, 1_500);
});

describe('a shadow venue at the fleet’s order role', () => {
  it('wraps each account’s venue: the fleet trades on it as before, and every order is compared on the same bars', async () => {
    const plan: FleetPlan = {
      instruments: [instrument],
      accounts: [{ id: 'main', initialCash: 100_000 }],
      strategies: [
        { id: 'sma', symbol: instrument.id, accountId: 'main', create: strategyClass(SmaCrossover) },
      ],
    };
    // The "real" venue slips every market fill by 3 ticks; the shadow keeps the backtest's model.
    const shadows: ShadowExecutionClient[] = [];
    const execution = (_accountId: string, clock: Clock): ShadowExecutionClient => {
      const real = new SimulatedVenue({
        instruments: [defineInstrument(instrument)],
        clock,
        slippage: { type: 'ticks', ticks: 3 },
      });
      const shadow = new ShadowExecutionClient({ real, instruments: [instrument], clock });
      shadows.push(shadow);
      return shadow;
    };
    const fleet = await runFleet({ plan, data: bars, execution });
    const backtest = await runBacktest({
      strategies: new SmaCrossover({ id: 'sma', symbols: [instrument.id], accountId: 'main' }),
      data: bars,
      instruments: [instrument],
      accounts: [{ id: 'main', initialCash: 100_000 }],
      slippage: { type: 'ticks', ticks: 3 },
    });
    // The fleet's books follow the real venue: a backtest with its slippage.
    expect(fleet.fills.length).toBeGreaterThan(10);
    expect(fleet.fills.map((f) => [f.tsEvent, f.lastPx])).toEqual(
      backtest.fills.map((f) => [f.tsEvent, f.lastPx]),
    );
    expect(shadows).toHaveLength(1);
    const report = (shadows[0] as ShadowExecutionClient).report();
    expect(report.pending).toBe(0);
    expect(report.orders).toHaveLength(fleet.fills.length);
    expect(report.outcomes.matched).toBe(fleet.fills.length);
    // Each fill 3 ticks (0.03) worse on its whole quantity, on the same bar: slippage only, and the fees on it.
    for (const o of report.orders) {
      expect(Number(o.attribution.slippage)).toBeCloseTo(-0.03 * o.quantity, 9);
      expect(o.attribution.latency).toBe('0.00');
      expect(o.real.firstFillTs).toBe(o.simulated.firstFillTs);
    }
  });
});
