import { type Bar, BaseStrategy, type Fill, type StrategyOptions } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { strategyClass } from './plan';
import { runFleet } from './run-fleet';

const instrument = { ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 };
type Class = new (options: StrategyOptions<Record<string, unknown>>) => BaseStrategy<object>;

let bars: Bar[];
beforeAll(async () => {
  bars = (await loadSp500Bars()).slice(0, 40);
});

/**
 * The bars one at a time (frames of one bar), each published only once the in-memory fleet has done
 * everything the one before caused (the in-memory bus runs on microtasks: one macrotask turn drains
 * them). A delivery the order role makes as it matches bar t is then handled before `onBar(t+1)`.
 */
async function* settled(data: readonly Bar[]): AsyncIterable<Bar> {
  for (const bar of data) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    yield bar;
  }
}

describe('live mode: a strategy hears of its fills as the order role makes them', () => {
  it('a market order placed on bar 3 fills on bar 4; from onBar(5) on the strategy holds it and onFill ran', async () => {
    const seen: { ts: number; position: number; filled: boolean }[] = [];
    let fills = 0;
    class BuyOnce extends BaseStrategy {
      n = 0;
      override onBar(bar: Bar): void {
        seen.push({ ts: bar.ts, position: this.position(), filled: fills > 0 });
        if (++this.n === 4) this.buy(1);
      }
      override onFill(_fill: Fill): void {
        fills++;
      }
    }
    const fleet = await runFleet({
      plan: {
        instruments: [instrument],
        accounts: [{ id: 'main', initialCash: 100_000 }],
        strategies: [
          { id: 'once', symbol: instrument.id, accountId: 'main', create: strategyClass(BuyOnce as Class) },
        ],
        mode: 'live',
      },
      data: settled(bars),
      frameSize: 1,
    });
    expect(fleet.strategyEvents).toEqual([]);
    expect(fleet.barrier).toEqual({ bars: bars.length, waited: 0 });
    // Placed in onBar(bars[3]); the order role applies it after matching bar 3, so bar 4 fills it.
    expect(fleet.fills.map((f) => f.tsEvent)).toEqual([(bars[4] as Bar).ts]);
    expect(fills).toBe(1);
    expect(seen).toHaveLength(bars.length);
    // Not before its fill, and at every bar after the fill's bar: the position and onFill.
    expect(seen.slice(0, 5).every((s) => s.position === 0 && !s.filled)).toBe(true);
    expect(seen.slice(5)).toEqual(bars.slice(5).map((b) => ({ ts: b.ts, position: 1, filled: true })));
  });
});
