import { fileURLToPath } from 'node:url';
import type { ParamSpace } from '@rxtrade/core';
import {
  type OptimizeResult,
  type OptimizeRow,
  Optimizer,
  optimize,
  type WalkForwardResult,
  walkForward,
} from '@rxtrade/core/node';
import { SP500_INSTRUMENT } from '@rxtrade/datasets';

/** The SMA crossover of examples/sma-crossover, loaded by path in every worker thread. */
export const STRATEGY = {
  path: fileURLToPath(new URL('../../sma-crossover/src/strategy.ts', import.meta.url)),
  export: 'SmaCrossover',
};
const instruments = [{ ...SP500_INSTRUMENT, takerFee: 0.001, makerFee: 0.001 }];
const fastBelowSlow = (p: Readonly<Record<string, unknown>>): boolean =>
  (p['fast'] as number) < (p['slow'] as number);

const pct = (n: number | null | undefined): string => (n == null ? '—' : `${(n * 100).toFixed(1)} %`);
const num = (n: number | null | undefined, digits = 2): string => (n == null ? '—' : n.toFixed(digits));

/** A fixed-width table of the best rows. */
export function formatTop(result: OptimizeResult, count = 10): string {
  const header = ' rank  fast  slow  sharpe  total return  CAGR     max drawdown  trades';
  const rows = result.rows.slice(0, count).map((r: OptimizeRow) => {
    const s = r.statistics;
    return [
      String(r.rank).padStart(5),
      String(r.params['fast']).padStart(5),
      String(r.params['slow']).padStart(5),
      num(r.score).padStart(7),
      pct(s?.totalReturn).padStart(13),
      pct(s?.cagr).padStart(8),
      pct(s?.maxDrawdown).padStart(13),
      String(s?.numberOfTrades ?? '—').padStart(7),
    ].join(' ');
  });
  return [header, ...rows].join('\n');
}

/** Grid search over the SMA windows on the S&P 500 2000–2020, ranked by Sharpe ratio. */
export function optimizeSma(options: {
  space?: ParamSpace;
  workers?: number;
  onProgress?: (completed: number, total: number) => void;
  signal?: AbortSignal;
}): Promise<OptimizeResult> {
  return optimize({
    strategy: STRATEGY,
    data: { kind: 'sp500' },
    instruments,
    space: options.space ?? { fast: { min: 5, max: 50, step: 5 }, slow: { min: 20, max: 200, step: 10 } },
    constraint: fastBelowSlow,
    params: { quantity: 10 },
    metric: 'sharpe',
    backtest: { initialCash: 100_000 },
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.signal ? { signal: options.signal } : {}),
    onProgress: (p) => options.onProgress?.(p.completed, p.total),
  });
}

/**
 * Coarse to fine on one set of workers: a coarse grid, then every window within a few bars of its
 * best. The second search runs on workers that already loaded the strategy and the bars and already
 * compiled the engine's hot path.
 */
export async function refineSma(
  options: { coarse?: ParamSpace; radius?: number; workers?: number } = {},
): Promise<{ coarse: OptimizeResult; fine: OptimizeResult }> {
  const optimizer = await Optimizer.start({
    strategy: STRATEGY,
    data: { kind: 'sp500' },
    instruments,
    params: { quantity: 10 },
    backtest: { initialCash: 100_000 },
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
  try {
    const coarse = await optimizer.search({
      space: options.coarse ?? { fast: { min: 5, max: 50, step: 5 }, slow: { min: 20, max: 200, step: 10 } },
      constraint: fastBelowSlow,
      metric: 'sharpe',
    });
    const best = coarse.best?.params;
    if (!best) return { coarse, fine: coarse };
    const r = options.radius ?? 4;
    const around = (x: number, min: number) => ({ min: Math.max(min, x - r), max: x + r, int: true });
    const fine = await optimizer.search({
      space: { fast: around(best['fast'] as number, 2), slow: around(best['slow'] as number, 3) },
      constraint: fastBelowSlow,
      metric: 'sharpe',
    });
    return { coarse, fine };
  } finally {
    await optimizer.close();
  }
}

/** Walk-forward: optimise on 5 years, trade the winner for the next year (indicators warmed on the year before), roll by a year. */
export function walkForwardSma(options: { workers?: number } = {}): Promise<WalkForwardResult> {
  return walkForward({
    strategy: STRATEGY,
    data: { kind: 'sp500' },
    instruments,
    space: { fast: [5, 10, 20, 30], slow: [50, 100, 150, 200] },
    constraint: fastBelowSlow,
    params: { quantity: 10 },
    metric: 'sharpe',
    windows: { inSample: 1_260, outOfSample: 252, warmup: 250 },
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
}
