import { type BaseStrategy, runBacktest } from '@rxtrade/core';
import { describe, expect, it } from 'vitest';
import { SmaCrossover } from '../../../sma-crossover/src/strategy';
import { instrumentFor, replayBars } from '../../shared/src/replay-data';
import { SymbolRunner } from './symbol-runner';

describe('SymbolRunner', () => {
  it('produces the orders the backtest engine fills, bar for bar (next-bar fills)', async () => {
    const bars = (await replayBars({ symbols: 2, bars: 1_500 })).get('SPX1') ?? [];
    const params = { fast: 10, slow: 30, quantity: 10 };
    const runner = new SymbolRunner({ id: 'sma', kind: 'sma-crossover', params }, 'SPX1');
    const intents: { ts: number; side: string; qty: number }[] = [];
    for (const bar of bars)
      for (const i of runner.onBar(bar)) intents.push({ ts: bar.ts, side: i.side, qty: i.quantity });
    const result = await runBacktest({
      strategies: new SmaCrossover({ symbols: ['SPX1'], params }) as BaseStrategy<object>,
      data: bars,
      instruments: [instrumentFor('SPX1')],
    });
    // Each fill happens on the bar after the intent; the last intent may have no next bar.
    const next = new Map(bars.map((b, k) => [b.ts, bars[k + 1]?.ts]));
    const expected = intents
      .filter((i) => next.get(i.ts) !== undefined)
      .map((i) => ({ ts: next.get(i.ts), side: i.side, qty: i.qty }));
    expect(result.fills.map((f) => ({ ts: f.tsEvent, side: f.side, qty: f.lastQty }))).toEqual(expected);
    expect(expected.length).toBeGreaterThan(10);
  });

  it('a runner rebuilt from the same history is in the same state', async () => {
    const bars = (await replayBars({ symbols: 1, bars: 600 })).get('SPX0') ?? [];
    const cfg = { id: 'sma', kind: 'sma-crossover' as const, params: {} };
    const a = new SymbolRunner(cfg, 'SPX0');
    for (const bar of bars.slice(0, 400)) a.onBar(bar);
    const b = new SymbolRunner(cfg, 'SPX0');
    for (const bar of bars.slice(0, 400)) b.onBar(bar);
    for (const bar of bars.slice(400)) expect(b.onBar(bar)).toEqual(a.onBar(bar));
    expect(b.position).toBe(a.position);
  });
});
