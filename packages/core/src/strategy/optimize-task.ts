import { pathToFileURL } from 'node:url';
import { type CsvBarSourceOptions, fromCsvFile } from '../data/sources/csv-source';
import { fromJsonFile, type JsonBarSourceOptions } from '../data/sources/json-source';
import { type BacktestOptions, type BacktestResult, runBacktest } from '../engine/backtest';
import { type BacktestStatistics, computeStatistics } from '../engine/statistics';
import { runOnePass } from '../engine/variants';
import { RxtradeError } from '../errors';
import type { Instrument, InstrumentSpec } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { BaseStrategy } from './base-strategy';
import { IndicatorCache, withIndicatorCache } from './indicator-cache';
import type { ParamSet } from './param-space';
import { type StrategyMaker, strategyFromModule } from './strategy-module';

/**
 * Where a worker gets its bars: described, not sent, so each worker loads them itself; or an
 * in-memory array, packed once into shared memory that every worker reads without a copy.
 */
export type DataDescription =
  | { readonly kind: 'csv'; readonly path: string; readonly options?: CsvBarSourceOptions }
  | { readonly kind: 'json'; readonly path: string; readonly options?: JsonBarSourceOptions }
  /** The S&P 500 daily bars of `@rxtrade/datasets` (which must be installed). */
  | { readonly kind: 'sp500' }
  /** A module exporting a function (default, or `export`) that returns bars or a promise of them. */
  | { readonly kind: 'module'; readonly path: string; readonly export?: string }
  | { readonly kind: 'bars'; readonly bars: readonly Bar[] };

/** A strategy by module file and export name, so a worker thread can load it. */
export interface StrategyReference {
  /** Path of the module (.ts needs tsx installed; .js/.mjs run as they are). */
  readonly path: string;
  /**
   * The export: a BaseStrategy subclass (built with `{ params }`) or a factory `(params) => strategy`.
   * Default: the default export, else the first exported BaseStrategy subclass.
   */
  readonly export?: string;
}

/** The backtest settings every run of an optimisation shares (plain data: they cross threads). */
export type OptimizeBacktestSettings = Pick<
  BacktestOptions,
  'initialCash' | 'accounts' | 'slippage' | 'maxVolumeShare' | 'closeAtEnd' | 'onStrategyError'
>;

/** @internal Bars in shared memory: 7 float64 columns (symbol index, ts, o, h, l, c, v). */
export interface PackedBars {
  readonly kind: 'packed';
  readonly symbols: readonly string[];
  readonly buffer: SharedArrayBuffer;
  readonly length: number;
}

/** @internal What a worker is set up with. */
export interface TaskSetup {
  readonly strategy: StrategyReference;
  readonly data: Exclude<DataDescription, { kind: 'bars' }> | PackedBars;
  readonly instruments: readonly (Instrument | InstrumentSpec)[];
  readonly backtest: OptimizeBacktestSettings;
  /** Parameters every run gets, under the searched ones. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Run each batch of tasks as K variants in one pass of the bars (see `runVariants`). */
  readonly onePass?: boolean;
}

/** @internal One backtest to run. */
export interface Task {
  readonly id: number;
  readonly params: ParamSet;
  /** Bars with from ≤ ts < to only. */
  readonly range?: { readonly from?: number; readonly to?: number };
  /**
   * Statistics from this time on only (the bars before it warm the strategy up): the equity curve
   * from the last close before it, trades closed from it, fees and exposure from it.
   */
  readonly scoreFrom?: number;
}

/** @internal The outcome of a task. */
export interface TaskResult {
  readonly id: number;
  readonly statistics?: BacktestStatistics;
  readonly error?: string;
  readonly bars: number;
  readonly ms: number;
}

/** @internal A loaded setup that runs tasks. */
export interface TaskRunner {
  run(task: Task): Promise<TaskResult>;
  /**
   * Runs a batch: task by task, or with `onePass` the tasks over the same range as variants in one
   * pass of the bars (same statistics, shared bar reading and indicators).
   */
  runBatch(tasks: readonly Task[]): Promise<TaskResult[]>;
  /** Distinct bar timestamps, ascending (for walk-forward windows). */
  timestamps(): number[];
  /** Keys of the strategy's zod params object, when it has one. */
  readonly paramKeys: readonly string[] | undefined;
}

/** @internal Packs bars into shared memory, once, for every worker. */
export function packBars(bars: readonly Bar[]): PackedBars {
  const symbols: string[] = [];
  const index = new Map<string, number>();
  const buffer = new SharedArrayBuffer(bars.length * 7 * 8);
  const f = new Float64Array(buffer);
  for (let i = 0; i < bars.length; i++) {
    const b = bars[i] as Bar;
    let s = index.get(b.symbol);
    if (s === undefined) {
      s = symbols.length;
      symbols.push(b.symbol);
      index.set(b.symbol, s);
    }
    const o = i * 7;
    f[o] = s;
    f[o + 1] = b.ts;
    f[o + 2] = b.open;
    f[o + 3] = b.high;
    f[o + 4] = b.low;
    f[o + 5] = b.close;
    f[o + 6] = b.volume;
  }
  return { kind: 'packed', symbols, buffer, length: bars.length };
}

function unpackBars(packed: PackedBars): Bar[] {
  const f = new Float64Array(packed.buffer);
  const out: Bar[] = new Array(packed.length);
  for (let i = 0; i < packed.length; i++) {
    const o = i * 7;
    out[i] = {
      symbol: packed.symbols[f[o] as number] as string,
      ts: f[o + 1] as number,
      open: f[o + 2] as number,
      high: f[o + 3] as number,
      low: f[o + 4] as number,
      close: f[o + 5] as number,
      volume: f[o + 6] as number,
    };
  }
  return out;
}

const failed = (message: string, cause?: unknown): RxtradeError =>
  new RxtradeError({ code: 'INVALID_ARGUMENT', message, ...(cause === undefined ? {} : { cause }) });

async function importFile(path: string, what: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw failed(`cannot load ${what} ${path}: ${(error as Error).message}`, error);
  }
}

async function loadBars(data: TaskSetup['data']): Promise<Bar[]> {
  switch (data.kind) {
    case 'packed':
      return unpackBars(data);
    case 'csv':
    case 'json': {
      const source =
        data.kind === 'csv' ? fromCsvFile(data.path, data.options) : fromJsonFile(data.path, data.options);
      const bars: Bar[] = [];
      for await (const chunk of source.chunks()) for (const bar of chunk) bars.push(bar);
      return bars;
    }
    case 'sp500': {
      // A variable specifier: core does not depend on the datasets package (it depends on core).
      const specifier = '@rxtrade/datasets';
      let datasets: { loadSp500Bars(): Promise<Bar[]> };
      try {
        datasets = (await import(specifier)) as typeof datasets;
      } catch (error) {
        throw failed(
          `data { kind: 'sp500' } needs the @rxtrade/datasets package: ${(error as Error).message}`,
          error,
        );
      }
      return datasets.loadSp500Bars();
    }
    case 'module': {
      const module = await importFile(data.path, 'data module');
      const load = module[data.export ?? 'default'];
      if (typeof load !== 'function') {
        throw failed(`${data.path} does not export a function ${data.export ?? 'default'} that returns bars`);
      }
      return [...((await (load as () => Promise<Iterable<Bar>> | Iterable<Bar>)()) as Iterable<Bar>)];
    }
  }
}

async function loadStrategy(
  ref: StrategyReference,
): Promise<{ make: StrategyMaker; paramKeys: readonly string[] | undefined }> {
  const module = await importFile(ref.path, 'strategy module');
  return strategyFromModule(module, { file: ref.path, exportName: ref.export });
}

function lowerBound(bars: readonly Bar[], ts: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bars[mid] as Bar).ts < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** @internal Loads the strategy and the bars once; each task then runs one backtest. */
export async function prepareTasks(setup: TaskSetup): Promise<TaskRunner> {
  const [{ make, paramKeys }, bars] = await Promise.all([loadStrategy(setup.strategy), loadBars(setup.data)]);
  const slice = (range: Task['range']): readonly Bar[] => {
    const from = range?.from === undefined ? 0 : lowerBound(bars, range.from);
    const to = range?.to === undefined ? bars.length : lowerBound(bars, range.to);
    return from === 0 && to === bars.length ? bars : bars.slice(from, to);
  };
  const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
  // The statistics are computed as the run goes: a plain task keeps no curve, fills or trades.
  const plain = { recordFills: false, recordClosedTrades: false, maxEquityPoints: 2, recordPrices: false };
  const run = async (task: Task): Promise<TaskResult> => {
    const start = performance.now();
    const data = slice(task.range);
    try {
      const strategy = make({ ...setup.params, ...task.params });
      const result = await runBacktest({
        ...setup.backtest,
        strategies: strategy,
        data,
        instruments: setup.instruments,
        // Scoring from a time on re-scores the stored curve and trades: keep every point of them.
        ...(task.scoreFrom === undefined
          ? plain
          : { recordPrices: false, recordFills: true, maxEquityPoints: Number.MAX_SAFE_INTEGER }),
      });
      return {
        id: task.id,
        statistics: task.scoreFrom === undefined ? result.statistics : statisticsFrom(result, task.scoreFrom),
        bars: data.length,
        ms: performance.now() - start,
      };
    } catch (error) {
      return { id: task.id, error: message(error), bars: data.length, ms: performance.now() - start };
    }
  };
  /** Plain tasks over one range in one pass; a set whose strategy cannot be built fails alone. */
  const onePass = async (tasks: readonly Task[]): Promise<TaskResult[]> => {
    const start = performance.now();
    const data = slice(tasks[0]?.range);
    const cache = new IndicatorCache();
    const results: (TaskResult | undefined)[] = [];
    const built: { index: number; strategy: BaseStrategy<object> }[] = [];
    tasks.forEach((task, index) => {
      try {
        const strategy = withIndicatorCache(cache, () => make({ ...setup.params, ...task.params }));
        built.push({ index, strategy });
        results.push(undefined);
      } catch (error) {
        results.push({ id: task.id, error: message(error), bars: data.length, ms: 0 });
      }
    });
    let outcomes: BacktestResult[];
    try {
      outcomes = await runOnePass(
        built.map((b) => b.strategy),
        cache,
        { ...setup.backtest, data, instruments: setup.instruments, ...plain },
      );
    } catch {
      // The pass failed as a whole (bad data): each task alone says what its own run says.
      const alone: TaskResult[] = [];
      for (const task of tasks) alone.push(await run(task));
      return alone;
    }
    const ms = (performance.now() - start) / Math.max(1, built.length);
    built.forEach((b, k) => {
      const task = tasks[b.index] as Task;
      results[b.index] = {
        id: task.id,
        statistics: (outcomes[k] as BacktestResult).statistics,
        bars: data.length,
        ms,
      };
    });
    return results as TaskResult[];
  };
  return {
    paramKeys,
    timestamps() {
      const out: number[] = [];
      for (const bar of bars)
        if (out.length === 0 || (out[out.length - 1] as number) < bar.ts) out.push(bar.ts);
      return out;
    },
    run,
    async runBatch(tasks) {
      if (!setup.onePass) {
        const out: TaskResult[] = [];
        for (const task of tasks) out.push(await run(task));
        return out;
      }
      // Tasks scored from a time on run alone; the rest go in one pass per range.
      const out = new Map<number, TaskResult>();
      const groups = new Map<string, Task[]>();
      for (const task of tasks) {
        if (task.scoreFrom !== undefined) {
          out.set(task.id, await run(task));
          continue;
        }
        const key = `${task.range?.from ?? ''}:${task.range?.to ?? ''}`;
        const group = groups.get(key);
        if (group) group.push(task);
        else groups.set(key, [task]);
      }
      for (const group of groups.values()) for (const r of await onePass(group)) out.set(r.id, r);
      return tasks.map((task) => out.get(task.id) as TaskResult);
    },
  };
}

/** @internal Statistics of the part of a run from `from` on (see `Task.scoreFrom`). */
export function statisticsFrom(result: BacktestResult, from: number): BacktestStatistics {
  const { timestamps, values } = result.equity;
  let first = timestamps.findIndex((t) => t >= from);
  if (first < 0) first = timestamps.length - 1;
  const base = Math.max(0, first - 1);
  const ts = timestamps.slice(base);
  // Exposure: timestamps from `from` on with any open position, replaying the fills.
  const held = new Map<string, number>();
  let open = 0;
  let exposed = 0;
  let counted = 0;
  let f = 0;
  const fills = result.fills;
  for (const t of ts) {
    for (; f < fills.length && (fills[f]?.tsEvent as number) <= t; f++) {
      const fill = fills[f] as (typeof fills)[number];
      const before = held.get(fill.instrumentId) ?? 0;
      const after = Math.round((before + (fill.side === 'buy' ? fill.lastQty : -fill.lastQty)) * 1e9) / 1e9;
      held.set(fill.instrumentId, after);
      open += (after !== 0 ? 1 : 0) - (before !== 0 ? 1 : 0);
    }
    if (t < from) continue;
    counted++;
    if (open > 0) exposed++;
  }
  let fees = 0;
  for (const fill of fills) if (fill.tsEvent >= from) fees += fill.fee;
  return computeStatistics({
    timestamps: ts,
    equity: values.slice(base),
    trades: result.closedTrades.filter((trade) => trade.exitTs >= from),
    feesPaid: Math.round(fees * 1e8) / 1e8,
    exposure: counted === 0 ? 0 : exposed / counted,
    // Refusals carry no time in the result: these are the whole run's, warm-up included.
    refusalsByReason: result.statistics.refusalsByReason,
  });
}
