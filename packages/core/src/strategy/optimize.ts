import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { BacktestStatistics } from '../engine/statistics';
import { RxtradeError } from '../errors';
import type { Instrument, InstrumentSpec } from '../model/instrument';
import {
  type DataDescription,
  type OptimizeBacktestSettings,
  packBars,
  type StrategyReference,
  type Task,
  type TaskResult,
  type TaskSetup,
} from './optimize-task';
import { gridParamSets, type ParamSet, type ParamSpace, randomParamSets } from './param-space';
import { unknownParamsMessage } from './strategy-params';
import { canceled, TaskPool } from './task-pool';

/** A `BacktestStatistics` field that is a number: what an optimisation can rank by. */
export type OptimizeMetric = {
  [K in keyof BacktestStatistics]-?: BacktestStatistics[K] extends number | null ? K : never;
}[keyof BacktestStatistics];

/** Metrics where smaller is better; `direction` defaults to `min` for them, `max` otherwise. */
const LOWER_IS_BETTER: ReadonlySet<OptimizeMetric> = new Set<OptimizeMetric>([
  'maxDrawdown',
  'maxDrawdownAmount',
  'maxDrawdownDurationMs',
  'maxDrawdownDurationBars',
  'annualVolatility',
  'feesPaid',
  'losingTrades',
  'grossLoss',
]);

/** Progress of an optimisation: after every finished backtest. */
export interface OptimizeProgress {
  readonly completed: number;
  readonly total: number;
  readonly elapsedMs: number;
  /** The best row so far. */
  readonly best: OptimizeRow | undefined;
}

/** Options of {@link optimize}. */
export interface OptimizeOptions {
  /** The strategy, by module path and export name: each worker thread loads it itself. */
  readonly strategy: StrategyReference;
  /** The bars, by description (each worker loads them) or as an array (shared, copied once). */
  readonly data: DataDescription;
  readonly instruments: readonly (Instrument | InstrumentSpec)[];
  /** Values per parameter: `{ fast: [5, 10, 20], slow: { min: 20, max: 60, step: 10 } }`. */
  readonly space: ParamSpace;
  /** Parameters every run gets (under the searched ones); the rest take the schema's defaults. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** `grid` (default): every combination; `random`: `samples` draws, reproducible from `seed`. */
  readonly search?: 'grid' | { readonly type: 'random'; readonly samples: number; readonly seed?: number };
  /** What to rank by. Default `sharpe`. */
  readonly metric?: OptimizeMetric;
  /** Default `min` for drawdowns, volatility, fees and losses, else `max`. */
  readonly direction?: 'max' | 'min';
  /** Skips parameter sets it returns false for (runs in this thread), e.g. `(p) => p.fast < p.slow`. */
  readonly constraint?: (params: ParamSet) => boolean;
  /** Cash, slippage and other backtest settings every run shares. */
  readonly backtest?: OptimizeBacktestSettings;
  /** Worker threads. Default: one per core (`os.availableParallelism()`); 0 runs in this thread. */
  readonly workers?: number;
  /**
   * Run the sets as K variants in one pass of the bars (`runVariants`), one pass per worker over its
   * share, instead of one backtest per set: the bars are read once per worker and indicators the
   * strategy declares with `indicator()` / `barIndicator()` are computed once per distinct class and
   * arguments. Same statistics, set for set; progress comes once per worker's share. Default false.
   */
  readonly onePass?: boolean;
  readonly onProgress?: (progress: OptimizeProgress) => void;
  /** Aborting terminates the workers and rejects with a CANCELED error. */
  readonly signal?: AbortSignal;
  /** Only bars with from ≤ ts < to. */
  readonly range?: { readonly from?: number; readonly to?: number };
  /**
   * Node flags for the workers. Default: the parent's `--conditions` flags, plus
   * `--conditions=rxtrade-source` when rxtrade itself runs from its TypeScript sources.
   */
  readonly execArgv?: readonly string[];
}

/** One parameter set's outcome. */
export interface OptimizeRow {
  /** 1 is best. Rows without a score (errors, `null` metrics) rank last, in evaluation order. */
  readonly rank: number;
  readonly params: ParamSet;
  /** The metric's value; null when the run failed or the metric is undefined for it. */
  readonly score: number | null;
  readonly statistics: BacktestStatistics | undefined;
  /** Why the run failed (invalid parameters, a strategy error). */
  readonly error: string | undefined;
}

/** The ranked table of an optimisation. */
export interface OptimizeResult {
  readonly metric: OptimizeMetric;
  readonly direction: 'max' | 'min';
  /** Every evaluated parameter set, best first. */
  readonly rows: readonly OptimizeRow[];
  readonly best: OptimizeRow | undefined;
  readonly workers: number;
  readonly elapsedMs: number;
}

function toSetup(
  options: Pick<OptimizeOptions, 'strategy' | 'data' | 'instruments' | 'backtest' | 'params' | 'onePass'>,
): TaskSetup {
  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(process.cwd(), path));
  const d = options.data;
  const data: TaskSetup['data'] =
    d.kind === 'bars' ? packBars(d.bars) : d.kind === 'sp500' ? d : { ...d, path: absolute(d.path) };
  return {
    strategy: { ...options.strategy, path: absolute(options.strategy.path) },
    data,
    instruments: options.instruments,
    backtest: options.backtest ?? {},
    params: options.params ?? {},
    ...(options.onePass ? { onePass: true } : {}),
  };
}

function parameterSets(
  options: Pick<OptimizeOptions, 'space' | 'search' | 'constraint'>,
  paramKeys: readonly string[] | undefined,
): ParamSet[] {
  if (paramKeys) {
    const unknown = Object.keys(options.space).filter((k) => !paramKeys.includes(k));
    if (unknown.length > 0) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: unknownParamsMessage(unknown, paramKeys, "the strategy's paramsSchema"),
      });
    }
  }
  const search = options.search ?? 'grid';
  const sets =
    search === 'grid'
      ? gridParamSets(options.space)
      : randomParamSets(options.space, {
          samples: search.samples,
          ...(search.seed === undefined ? {} : { seed: search.seed }),
        });
  return options.constraint ? sets.filter(options.constraint) : sets;
}

/** Ranks rows by score (best first); rows without a score last, in evaluation order. */
function rank(
  evaluated: readonly { params: ParamSet; result: TaskResult; order: number }[],
  metric: OptimizeMetric,
  direction: 'max' | 'min',
): OptimizeRow[] {
  const scored = evaluated.map((e) => {
    const value = e.result.statistics?.[metric];
    const score = typeof value === 'number' && !Number.isNaN(value) ? value : null;
    return { ...e, score };
  });
  scored.sort((a, b) => {
    if (a.score === null || b.score === null)
      return a.score === null ? (b.score === null ? a.order - b.order : 1) : -1;
    const diff = direction === 'max' ? b.score - a.score : a.score - b.score;
    return diff !== 0 ? diff : a.order - b.order;
  });
  return scored.map((s, i) => ({
    rank: i + 1,
    params: s.params,
    score: s.score,
    statistics: s.result.statistics,
    error: s.result.error,
  }));
}

async function runSearch(
  pool: TaskPool,
  options: OptimizerSearchOptions,
  sets: readonly ParamSet[],
): Promise<{ rows: OptimizeRow[]; metric: OptimizeMetric; direction: 'max' | 'min' }> {
  const metric = options.metric ?? 'sharpe';
  const direction = options.direction ?? (LOWER_IS_BETTER.has(metric) ? 'min' : 'max');
  const start = performance.now();
  const tasks: Task[] = sets.map((params, id) => ({
    id,
    params,
    ...(options.range ? { range: options.range } : {}),
  }));
  const evaluated: { params: ParamSet; result: TaskResult; order: number }[] = [];
  let best: { params: ParamSet; result: TaskResult; order: number; score: number } | undefined;
  await pool.run(
    tasks,
    (result) => {
      const entry = { params: sets[result.id] as ParamSet, result, order: result.id };
      evaluated.push(entry);
      const value = result.statistics?.[metric];
      if (typeof value === 'number' && !Number.isNaN(value)) {
        const better = best === undefined || (direction === 'max' ? value > best.score : value < best.score);
        if (better) best = { ...entry, score: value };
      }
      options.onProgress?.({
        completed: evaluated.length,
        total: tasks.length,
        elapsedMs: performance.now() - start,
        best: best && {
          rank: 1,
          params: best.params,
          score: best.score,
          statistics: best.result.statistics,
          error: undefined,
        },
      });
    },
    options.signal,
  );
  return { rows: rank(evaluated, metric, direction), metric, direction };
}

/** What every search on an {@link Optimizer} shares: the strategy, the bars, the settings, the workers. */
export type OptimizerOptions = Pick<
  OptimizeOptions,
  'strategy' | 'data' | 'instruments' | 'params' | 'backtest' | 'workers' | 'execArgv' | 'signal' | 'onePass'
>;

/** One search on an {@link Optimizer}: the space and how to rank it (`signal` cancels this search). */
export type OptimizerSearchOptions = Omit<OptimizeOptions, Exclude<keyof OptimizerOptions, 'signal'>>;

/**
 * Worker threads that load the strategy module and the bars once and then serve many searches: a
 * coarse grid then a finer one around its best, random draws in rounds, an interactive session.
 * Each worker also keeps the machine code V8 compiled for the backtest's hot path, so a second
 * search runs at full speed from its first backtest; a fresh worker spends roughly its first second
 * compiling (see docs/guides/optimisation.md). {@link optimize} is `start`, one `search`, `close`.
 *
 * Searches on one optimizer run one after another (a second call waits for the first). A canceled
 * search, or one whose worker failed, closes the optimizer: its workers were stopped mid-task.
 *
 * @example
 * const optimizer = await Optimizer.start({ strategy, data: { kind: 'sp500' }, instruments: [SP500_INSTRUMENT] });
 * try {
 *   const coarse = await optimizer.search({ space: { fast: { min: 5, max: 50, step: 5 }, slow: [100, 150, 200] } });
 *   const f = coarse.best?.params.fast as number;
 *   const fine = await optimizer.search({ space: { fast: { min: f - 4, max: f + 4, int: true }, slow: [100, 150, 200] } });
 * } finally {
 *   await optimizer.close();
 * }
 */
export class Optimizer {
  readonly #pool: TaskPool;
  /** The previous search, settled: the next one starts after it. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(pool: TaskPool) {
    this.#pool = pool;
  }

  /** Starts the workers (each loads the strategy and the bars) and resolves once all are ready. */
  static async start(options: OptimizerOptions): Promise<Optimizer> {
    if (options.signal?.aborted) throw canceled();
    const workers = Math.max(0, Math.floor(options.workers ?? availableParallelism()));
    const pool = await TaskPool.start(toSetup(options), {
      workers,
      execArgv: options.execArgv,
      signal: options.signal,
    });
    const keys = pool.paramKeys;
    const unknown = keys ? Object.keys(options.params ?? {}).filter((k) => !keys.includes(k)) : [];
    if (keys && unknown.length > 0) {
      await pool.close();
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `params: ${unknownParamsMessage(unknown, keys, "the strategy's paramsSchema")}`,
      });
    }
    return new Optimizer(pool);
  }

  /** Worker threads (0: backtests run in this thread). */
  get workers(): number {
    return this.#pool.size;
  }

  /** Grid or random search over the space; the ranked table. `elapsedMs` is this search's time. */
  search(options: OptimizerSearchOptions): Promise<OptimizeResult> {
    const run = this.#queue.then(() => this.#search(options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #search(options: OptimizerSearchOptions): Promise<OptimizeResult> {
    if (this.#closed) {
      throw new RxtradeError({ code: 'CLOSED', message: 'this optimizer is closed; start a new one' });
    }
    if (options.signal?.aborted) throw canceled();
    const start = performance.now();
    const sets = parameterSets(options, this.#pool.paramKeys);
    try {
      const { rows, metric, direction } = await runSearch(this.#pool, options, sets);
      return {
        metric,
        direction,
        rows,
        best: rows[0],
        workers: this.#pool.size,
        elapsedMs: performance.now() - start,
      };
    } catch (error) {
      // The workers may still be running this search's batches: their late results must not reach
      // the next search, so the pool goes.
      await this.close();
      throw error;
    }
  }

  /** Terminates the workers. Idempotent; a search after it rejects with CLOSED. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#pool.close();
  }
}

/**
 * Grid or random search over a strategy's parameters, one backtest per parameter set, spread over
 * worker threads (one per core by default). Each worker loads the strategy module (path + export
 * name) and the bars (a description, or an array shared once) and answers one backtest at a time;
 * results come back as a table ranked by any numeric `BacktestStatistics` field. To run several
 * searches on the same workers, use an {@link Optimizer}.
 *
 * TypeScript: from rxtrade's sources (under tsx or vitest) the workers register tsx themselves and
 * resolve `@rxtrade/*` to sources; from the built package they load `dist/strategy/optimize-worker`
 * and need tsx only when the strategy file is .ts.
 *
 * @example
 * const result = await optimize({
 *   strategy: { path: './src/strategy.ts', export: 'SmaCrossover' },
 *   data: { kind: 'sp500' },
 *   instruments: [SP500_INSTRUMENT],
 *   space: { fast: [5, 10, 20], slow: { min: 20, max: 60, step: 10 } },
 *   constraint: (p) => (p.fast as number) < (p.slow as number),
 *   metric: 'sharpe',
 * });
 * console.table(result.rows.slice(0, 10).map((r) => ({ ...r.params, sharpe: r.score })));
 */
export async function optimize(options: OptimizeOptions): Promise<OptimizeResult> {
  const start = performance.now();
  const optimizer = await Optimizer.start(options);
  try {
    const result = await optimizer.search(options);
    // Start-up included, as always: optimize() times the whole call.
    return { ...result, elapsedMs: performance.now() - start };
  } finally {
    await optimizer.close();
  }
}

/** Options of {@link walkForward}. */
export interface WalkForwardOptions extends Omit<OptimizeOptions, 'range' | 'onProgress'> {
  /**
   * Window lengths in distinct bar timestamps: optimise on `inSample`, test the best parameters on
   * the next `outOfSample`, move on by `step` (default `outOfSample`). `anchored`: in-sample always
   * starts at the first bar (expanding windows) instead of rolling.
   */
  readonly windows: {
    readonly inSample: number;
    readonly outOfSample: number;
    readonly step?: number;
    readonly anchored?: boolean;
    /**
     * Bars before each out-of-sample window the chosen parameters run on first, not scored, so the
     * indicators are warm when the window starts (a position opened then carries in). Default 0.
     */
    readonly warmup?: number;
  };
  readonly onProgress?: (
    progress: { readonly window: number; readonly windows: number } & OptimizeProgress,
  ) => void;
}

/** One walk-forward window. Ranges are [from, to) in epoch ms. */
export interface WalkForwardWindow {
  readonly inSample: { readonly from: number; readonly to: number | undefined };
  readonly outOfSample: { readonly from: number; readonly to: number | undefined };
  /** The best in-sample row (its params are what went out of sample). */
  readonly best: OptimizeRow | undefined;
  readonly outOfSampleScore: number | null;
  readonly outOfSampleStatistics: BacktestStatistics | undefined;
  readonly outOfSampleError: string | undefined;
}

/** Walk-forward result: every window, and the mean scores in and out of sample. */
export interface WalkForwardResult {
  readonly metric: OptimizeMetric;
  readonly direction: 'max' | 'min';
  readonly windows: readonly WalkForwardWindow[];
  readonly meanInSampleScore: number | null;
  readonly meanOutOfSampleScore: number | null;
  readonly workers: number;
  readonly elapsedMs: number;
}

const mean = (values: readonly (number | null | undefined)[]): number | null => {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return xs.length === 0 ? null : xs.reduce((s, x) => s + x, 0) / xs.length;
};

/**
 * Walk-forward analysis: for each rolling (or anchored) window, optimise in sample, then run the
 * best parameters once out of sample, on the bars that follow. One worker pool serves every window.
 * Each out-of-sample run starts with the configured cash and fresh indicators: without `warmup` they
 * warm up inside the window (an SMA(200) trades nothing in the first 200 bars); with `warmup` the
 * run starts that many bars earlier and only the window itself is scored.
 */
export async function walkForward(options: WalkForwardOptions): Promise<WalkForwardResult> {
  if (options.signal?.aborted) throw canceled();
  const { inSample, outOfSample, anchored } = options.windows;
  const step = options.windows.step ?? outOfSample;
  const warmup = options.windows.warmup ?? 0;
  if (!(Number.isInteger(warmup) && warmup >= 0)) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: 'windows.warmup must be a whole number ≥ 0',
    });
  }
  for (const [name, value] of [
    ['inSample', inSample],
    ['outOfSample', outOfSample],
    ['step', step],
  ] as const) {
    if (!(Number.isInteger(value) && value > 0)) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `windows.${name} must be a whole number > 0`,
      });
    }
  }
  const start = performance.now();
  const workers = Math.max(0, Math.floor(options.workers ?? availableParallelism()));
  const pool = await TaskPool.start(toSetup(options), {
    workers,
    execArgv: options.execArgv,
    signal: options.signal,
  });
  try {
    const ts = pool.timestamps;
    const at = (i: number): number | undefined => (i < ts.length ? ts[i] : undefined);
    const bounds: { is: [number, number]; oos: [number, number] }[] = [];
    for (let s = 0; s + inSample + outOfSample <= ts.length; s += step) {
      bounds.push({ is: [anchored ? 0 : s, s + inSample], oos: [s + inSample, s + inSample + outOfSample] });
    }
    if (bounds.length === 0) {
      throw new RxtradeError({
        code: 'INVALID_ARGUMENT',
        message: `${ts.length} bars hold no window of ${inSample} + ${outOfSample}`,
      });
    }
    const sets = parameterSets(options, pool.paramKeys);
    const windows: WalkForwardWindow[] = [];
    let metric: OptimizeMetric = options.metric ?? 'sharpe';
    let direction: 'max' | 'min' = 'max';
    for (let w = 0; w < bounds.length; w++) {
      const b = bounds[w] as (typeof bounds)[number];
      const isRange = { from: ts[b.is[0]] as number, to: at(b.is[1]) };
      const oosRange = { from: ts[b.oos[0]] as number, to: at(b.oos[1]) };
      const found = await runSearch(
        pool,
        {
          ...options,
          range: { from: isRange.from, ...(isRange.to === undefined ? {} : { to: isRange.to }) },
          onProgress: (p) => options.onProgress?.({ ...p, window: w + 1, windows: bounds.length }),
        },
        sets,
      );
      metric = found.metric;
      direction = found.direction;
      const best = found.rows[0]?.score === null ? undefined : found.rows[0];
      let oos: TaskResult | undefined;
      if (best) {
        await pool.run(
          [
            {
              id: 0,
              params: best.params,
              range: {
                from: ts[Math.max(0, b.oos[0] - warmup)] as number,
                ...(oosRange.to === undefined ? {} : { to: oosRange.to }),
              },
              ...(warmup > 0 ? { scoreFrom: oosRange.from } : {}),
            },
          ],
          (r) => {
            oos = r;
          },
          options.signal,
        );
      }
      const value = oos?.statistics?.[metric];
      windows.push({
        inSample: isRange,
        outOfSample: oosRange,
        best,
        outOfSampleScore: typeof value === 'number' && !Number.isNaN(value) ? value : null,
        outOfSampleStatistics: oos?.statistics,
        outOfSampleError: best ? oos?.error : 'no in-sample parameter set had a score',
      });
    }
    return {
      metric,
      direction,
      windows,
      meanInSampleScore: mean(windows.map((w) => w.best?.score)),
      meanOutOfSampleScore: mean(windows.map((w) => w.outOfSampleScore)),
      workers: pool.size,
      elapsedMs: performance.now() - start,
    };
  } finally {
    await pool.close();
  }
}
