import { runBacktest } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { describe, expect, it } from 'vitest';
import { runOnePass, SharedSmaCross } from './one-pass';

describe('example: sixteen variants in one pass', () => {
  it('computes 8 indicators for 32 requests and gives each variant its own backtest', async () => {
    const lines: string[] = [];
    const { variants, results, indicators } = await runOnePass((line) => lines.push(line));
    expect(indicators).toEqual({ distinct: 8, shared: 24 });
    const i = variants.findIndex((p) => p.fast === 10 && p.slow === 100);
    const alone = await runBacktest({
      strategies: new SharedSmaCross({ params: variants[i] ?? { fast: 10, slow: 100 } }),
      data: await loadSp500Bars(),
      instruments: [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }],
    });
    expect(results[i]).toEqual(alone);
    expect(lines[0]).toBe('16 variants, one pass: 8 indicators computed for 32');
  });
});
