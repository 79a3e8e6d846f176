import { basename, extname } from 'node:path';
import {
  type Bar,
  type BarColumns,
  type BarInput,
  type BarSource,
  barsBetween,
  type InstrumentSpec,
  mergeBarSources,
  RxtradeError,
  resampleBars,
  type SkippedRow,
  type TimestampFormat,
} from '@rxtrade/core';
import { fromCsvFile, fromJsonFile } from '@rxtrade/core/node';
import { resolveUserFile } from '@rxtrade/fleet/node';

export interface LoadedData {
  readonly source: BarSource | readonly Bar[];
  /** One instrument per symbol, in the order of the files. */
  readonly instruments: readonly InstrumentSpec[];
  readonly label: string;
  /** Bar count when known up front (for progress). */
  readonly total: number | undefined;
}

/** How `--data` is read; every field but `cwd` and `fee` is optional. */
export interface DataOptions {
  readonly cwd: string;
  /** Symbols, one per file, in order. Default: each file's name, upper-cased. */
  readonly symbols?: readonly string[];
  readonly fee: number;
  readonly pricePrecision?: number;
  readonly quantityPrecision?: number;
  /** CSV: the column separator (one character). */
  readonly delimiter?: string;
  /** CSV/JSON: where each field is (header names or 0-based indices). */
  readonly columns?: BarColumns;
  readonly timeFormat?: TimestampFormat;
  /** Whether the CSV's first line is a header; default: detected. */
  readonly header?: boolean;
  /** Only bars with from ≤ ts < to. */
  readonly from?: number;
  readonly to?: number;
  /** Resample to this timeframe (`1h`, `1d`, …). */
  readonly resample?: string;
  /** A bad row stops the run (`throw`, default) or is skipped and reported (`skip`). */
  readonly onBadRow?: 'throw' | 'skip';
  /** Called for each skipped row under `onBadRow: 'skip'`. */
  readonly onSkip?: (row: SkippedRow) => void;
}

const invalid = (message: string): RxtradeError => new RxtradeError({ code: 'INVALID_ARGUMENT', message });

async function loadSp500(
  options: DataOptions,
): Promise<{ bars: readonly Bar[]; instrument: InstrumentSpec }> {
  let datasets: typeof import('@rxtrade/datasets');
  try {
    datasets = await import('@rxtrade/datasets');
  } catch (error) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: '--data sp500 needs the @rxtrade/datasets package: npm install @rxtrade/datasets',
      cause: error,
    });
  }
  return {
    bars: await datasets.loadSp500Bars(),
    instrument: {
      ...datasets.SP500_INSTRUMENT,
      quantityPrecision: options.quantityPrecision ?? datasets.SP500_INSTRUMENT.quantityPrecision,
      takerFee: options.fee,
      makerFee: options.fee,
    },
  };
}

function fileSource(file: string, symbol: string | undefined, options: DataOptions): BarSource {
  const path = resolveUserFile(file, options.cwd, 'data file');
  const extension = extname(path).toLowerCase();
  const common = {
    ...(symbol === undefined ? {} : { symbol }),
    ...(options.columns ? { columns: options.columns } : {}),
    ...(options.timeFormat ? { timeFormat: options.timeFormat } : {}),
    ...(options.onBadRow === 'skip'
      ? {
          onInvalid: 'skip' as const,
          order: 'skip' as const,
          ...(options.onSkip ? { onSkip: options.onSkip } : {}),
        }
      : {}),
  };
  if (extension === '.csv' || extension === '.txt' || extension === '.tsv') {
    return fromCsvFile(path, {
      ...common,
      priceDecimals: options.pricePrecision ?? 2,
      ...(options.delimiter !== undefined
        ? { delimiter: options.delimiter }
        : extension === '.tsv'
          ? { delimiter: '\t' }
          : {}),
      ...(options.header !== undefined ? { header: options.header } : {}),
    });
  }
  if (extension === '.json') {
    if (options.delimiter !== undefined) throw invalid('--delimiter applies to CSV files only');
    return fromJsonFile(path, common);
  }
  throw invalid(`--data must be sp500, a .csv (or .tsv, .txt) or a .json file of OHLCV bars; got ${file}`);
}

/**
 * Resolves `--data`: `sp500` (the bundled S&P 500 daily bars, from `@rxtrade/datasets`), or paths to
 * `.csv` (streamed) or `.json` files of OHLCV bars, one symbol each, merged by time; then the date
 * range and resampling.
 */
export async function loadData(data: string | readonly string[], options: DataOptions): Promise<LoadedData> {
  const files = typeof data === 'string' ? [data] : [...data];
  if (files.length === 0) throw invalid('--data is required');
  if (options.symbols && options.symbols.length !== files.length) {
    throw invalid(
      `--symbol gives ${options.symbols.length} symbol(s) for ${files.length} data file(s): give one per file, comma-separated, or none`,
    );
  }
  let input: BarInput;
  let instruments: InstrumentSpec[];
  let label: string;
  let total: number | undefined;
  if (files.includes('sp500')) {
    if (files.length > 1) throw invalid('--data sp500 cannot be combined with other files');
    const sp500 = await loadSp500(options);
    input = sp500.bars;
    instruments = [sp500.instrument];
    label = 'S&P 500 daily, 2000-01-03..2020-04-17';
    total = sp500.bars.length;
  } else {
    const symbolColumn = options.columns?.symbol !== undefined && options.columns.symbol !== null;
    if (symbolColumn && options.symbols) {
      throw invalid('--symbol and --columns symbol=… do not go together: the symbols come from the column');
    }
    let symbols: string[];
    let sources: BarSource[];
    if (symbolColumn) {
      // The symbols are in the files: one pass over each to list them, so each gets its instrument.
      sources = files.map((f) => fileSource(f, undefined, options));
      symbols = [];
      for (const [i, source] of sources.entries()) {
        const seen = new Set<string>();
        for await (const chunk of source.chunks()) for (const bar of chunk) seen.add(bar.symbol);
        for (const s of seen) {
          if (symbols.includes(s))
            throw invalid(`symbol ${s} is in two data files (${files[i]} and another)`);
          symbols.push(s);
        }
      }
      if (symbols.length === 0) throw invalid(`no bars in ${files.join(', ')}`);
    } else {
      symbols = files.map((f, i) => options.symbols?.[i] ?? basename(f, extname(f)).toUpperCase());
      const duplicate = symbols.find((s, i) => symbols.indexOf(s) !== i);
      if (duplicate !== undefined) {
        throw invalid(`two data files would both be symbol ${duplicate}: name them with --symbol A,B`);
      }
      sources = files.map((f, i) => fileSource(f, symbols[i] as string, options));
    }
    input = sources.length === 1 ? (sources[0] as BarSource) : mergeBarSources(sources);
    instruments = symbols.map((id) => ({
      id,
      pricePrecision: options.pricePrecision ?? 2,
      quantityPrecision: options.quantityPrecision ?? 0,
      takerFee: options.fee,
      makerFee: options.fee,
    }));
    label = files.join(', ');
    total = undefined;
  }
  if (options.from !== undefined || options.to !== undefined) {
    input = barsBetween(input, {
      ...(options.from !== undefined ? { from: options.from } : {}),
      ...(options.to !== undefined ? { to: options.to } : {}),
    });
    total = undefined;
    const day = (ts: number): string => new Date(ts).toISOString().slice(0, 10);
    label += ` (${options.from !== undefined ? `from ${day(options.from)}` : ''}${
      options.from !== undefined && options.to !== undefined ? ' ' : ''
    }${options.to !== undefined ? `before ${day(options.to)}` : ''})`;
  }
  if (options.resample !== undefined) {
    input = resampleBars(input as BarSource, { timeframe: options.resample });
    total = undefined;
  }
  const source = Array.isArray(input) ? (input as readonly Bar[]) : (input as BarSource);
  return { source, instruments, label, total };
}
