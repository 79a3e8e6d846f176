import { describe, expect, it } from 'vitest';
import { replayBars, symbolNames } from './replay-data';

describe('replayBars', () => {
  it('gives every symbol its own prices on one shared calendar, deterministically', async () => {
    const a = await replayBars({ symbols: 5, bars: 2_000 });
    const b = await replayBars({ symbols: 5, bars: 2_000 });
    expect([...a.keys()]).toEqual(symbolNames(5));
    const series = [...a.values()];
    for (const bars of series) {
      expect(bars).toHaveLength(2_000);
      expect(bars.map((x) => x.ts)).toEqual(series[0]?.map((x) => x.ts));
    }
    expect(new Set(series.map((s) => s[0]?.close)).size).toBe(5);
    expect(b.get('SPX3')).toEqual(a.get('SPX3'));
  });
});
