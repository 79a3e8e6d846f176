import { basename, extname, isAbsolute, resolve } from 'node:path';
import {
  type Bar,
  type BarSource,
  fromCsvFile,
  fromJsonFile,
  type InstrumentSpec,
  RxtradeError,
} from '@rxtrade/core';

export interface LoadedData {
  readonly source: BarSource | readonly Bar[];
  readonly instrument: InstrumentSpec;
  readonly label: string;
  /** Bar count when known up front (for progress). */
  readonly total: number | undefined;
}

export interface DataOptions {
  readonly cwd: string;
  readonly symbol?: string;
  readonly fee: number;
  readonly pricePrecision?: number;
  readonly quantityPrecision?: number;
}

/**
 * Resolves `--data`: `sp500` (the bundled S&P 500 daily bars, from `@rxtrade/datasets`), or a path
 * to a `.csv` (streamed) or `.json` file of OHLCV bars.
 */
export async function loadData(data: string, options: DataOptions): Promise<LoadedData> {
  if (data === 'sp500') {
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
    const bars = await datasets.loadSp500Bars();
    return {
      source: bars,
      instrument: {
        ...datasets.SP500_INSTRUMENT,
        quantityPrecision: options.quantityPrecision ?? datasets.SP500_INSTRUMENT.quantityPrecision,
        takerFee: options.fee,
        makerFee: options.fee,
      },
      label: 'S&P 500 daily, 2000-01-03..2020-04-17',
      total: bars.length,
    };
  }
  const path = isAbsolute(data) ? data : resolve(options.cwd, data);
  const extension = extname(path).toLowerCase();
  const symbol = options.symbol ?? basename(path, extname(path)).toUpperCase();
  const pricePrecision = options.pricePrecision ?? 2;
  const instrument: InstrumentSpec = {
    id: symbol,
    pricePrecision,
    quantityPrecision: options.quantityPrecision ?? 0,
    takerFee: options.fee,
    makerFee: options.fee,
  };
  if (extension === '.csv') {
    return {
      source: fromCsvFile(path, { symbol, priceDecimals: pricePrecision }),
      instrument,
      label: path,
      total: undefined,
    };
  }
  if (extension === '.json') {
    return { source: fromJsonFile(path, { symbol }), instrument, label: path, total: undefined };
  }
  throw new RxtradeError({
    code: 'INVALID_ARGUMENT',
    message: `--data must be sp500, a .csv or a .json file; got ${data}`,
  });
}
