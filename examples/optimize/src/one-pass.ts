// Sixteen variants of one strategy in ONE pass over the S&P 500: one data load, shared indicators,
// a book per variant. Run: npm run one-pass
import { BaseStrategy, runVariants, Sma } from '@rxtrade/core';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';
import { z } from 'zod';

const params = z.object({ fast: z.number().int().positive(), slow: z.number().int().positive() });

/** SMA crossover whose averages are declared with indicator(): variants with the same period share one. */
export class SharedSmaCross extends BaseStrategy<z.output<typeof params>> {
  static override paramsSchema = params;
  readonly fast = this.indicator(Sma, this.params.fast);
  readonly slow = this.indicator(Sma, this.params.slow);
  #previous = Number.NaN;

  override onBar(): void {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(10);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }
}

export async function runOnePass(print: (line: string) => void) {
  const variants = [5, 10, 20, 40].flatMap((fast) => [50, 100, 150, 200].map((slow) => ({ fast, slow })));
  const { results, indicators } = await runVariants({
    strategy: SharedSmaCross,
    variants,
    data: await loadSp500Bars(),
    instruments: [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }],
  });
  print(
    `${variants.length} variants, one pass: ${indicators.distinct} indicators computed for ${variants.length * 2}`,
  );
  const rows = variants
    .map((p, i) => ({ p, s: results[i]?.statistics }))
    .sort((a, b) => (b.s?.sharpe ?? -Infinity) - (a.s?.sharpe ?? -Infinity));
  for (const { p, s } of rows.slice(0, 5)) {
    print(
      `fast ${p.fast} slow ${p.slow}: return ${((s?.totalReturn ?? 0) * 100).toFixed(2)} %, sharpe ${s?.sharpe?.toFixed(3)}, ${s?.numberOfTrades} trades`,
    );
  }
  return { variants, results, indicators };
}

if (import.meta.url === `file://${process.argv[1]}`) await runOnePass((line) => console.log(line));
