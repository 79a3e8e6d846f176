import { RxtradeError } from '../errors';
import type { BaseStrategy, StrategyOptions } from '../strategy/base-strategy';
import { IndicatorCache, withIndicatorCache } from '../strategy/indicator-cache';
import {
  type BacktestOptions,
  type BacktestResult,
  type BacktestRun,
  createBacktestRun,
  forEachBar,
} from './backtest';

/** Options of {@link runVariants}: a backtest's, with one strategy class and its parameter variants. */
export interface VariantsOptions<TParams extends object>
  extends Omit<BacktestOptions, 'strategies' | 'onEngine'> {
  /** The strategy class; each variant is `new strategy({ ...strategyOptions, params })`. */
  readonly strategy: new (
    options: StrategyOptions<TParams>,
  ) => BaseStrategy<TParams>;
  /** One entry per variant: its parameters (validated by the class's schema, defaults applied). */
  readonly variants: readonly Partial<TParams>[];
  /** What every variant's strategy gets besides its params: id, symbols, account. */
  readonly strategyOptions?: Omit<StrategyOptions<TParams>, 'params'>;
  /**
   * Share indicators declared with `indicator()` / `barIndicator()` between variants (one instance per
   * class and arguments). Default true; false computes each variant's own, as separate runs do.
   */
  readonly shareIndicators?: boolean;
}

/** What {@link runVariants} returns. */
export interface VariantsResult {
  /** One backtest result per variant, in the order of `variants`: each equal to its own `runBacktest`. */
  readonly results: readonly BacktestResult[];
  /** Indicators built (`distinct`) and requests served by one another variant built (`shared`). */
  readonly indicators: { readonly distinct: number; readonly shared: number };
}

/**
 * Runs K parameter variants of one strategy over ONE pass of the data: the bars are loaded and read
 * once, each variant has its own engine and books, and indicators the strategy declares with
 * `this.indicator(Sma, n)` (or `barIndicator`) are computed once per distinct class and arguments —
 * variants that differ only in a threshold share every indicator; variants with other periods share
 * the ones they have in common. Each result is the one `runBacktest` gives that variant alone, fill for
 * fill (the per-variant path is runBacktest's own, bar by bar); only the work is shared.
 *
 * Progress (`onProgress`) is reported once per bar count, not once per variant.
 *
 * @example
 * const { results } = await runVariants({
 *   strategy: SmaCross,
 *   variants: [{ fast: 5, slow: 20 }, { fast: 5, slow: 50 }, { fast: 10, slow: 50 }],
 *   data: await loadSp500Bars(),
 *   instruments: [spx],
 * });
 */
export async function runVariants<TParams extends object>(
  options: VariantsOptions<TParams>,
): Promise<VariantsResult> {
  const { strategy: Strategy, variants, strategyOptions, shareIndicators, ...backtest } = options;
  if (variants.length === 0) {
    throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'runVariants: give at least one variant' });
  }
  const cache = new IndicatorCache();
  const build = (params: Partial<TParams>): BaseStrategy<TParams> =>
    new Strategy({ ...strategyOptions, params });
  const strategies = variants.map((params) =>
    shareIndicators === false ? build(params) : withIndicatorCache(cache, () => build(params)),
  );
  const results = await runOnePass(strategies as unknown as BaseStrategy<object>[], cache, backtest);
  return { results, indicators: { distinct: cache.size, shared: cache.hits } };
}

/**
 * @internal One pass of the data through one backtest per strategy (each strategy alone in its
 * run), the strategies built beforehand, with `cache` in reach for the indicators they share: what
 * {@link runVariants} and the optimiser's one-pass batches (`optimize({ onePass: true })`) run.
 */
export async function runOnePass(
  strategies: readonly BaseStrategy<object>[],
  cache: IndicatorCache,
  backtest: Omit<BacktestOptions, 'strategies' | 'onEngine'>,
): Promise<BacktestResult[]> {
  const { onProgress, ...rest } = backtest;
  const runs: BacktestRun[] = strategies.map((strategy, i) =>
    createBacktestRun({
      ...rest,
      // One progress report per bar count, from the first variant's run.
      ...(i === 0 && onProgress ? { onProgress } : {}),
      strategies: strategy,
    }),
  );
  try {
    for (const run of runs) await run.start();
    const count = runs.length;
    await forEachBar(backtest.data, (bar) => {
      cache.advance();
      for (let i = 0; i < count; i++) (runs[i] as BacktestRun).step(bar);
    });
    for (const run of runs) run.end();
  } finally {
    // Stopping an engine that never started only completes its streams.
    for (const run of runs) await run.close();
  }
  return runs.map((run) => run.result());
}
