import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Bar, RxtradeError } from '@rxtrade/core';
import { type CsvBarSource, fromCsvFile } from '@rxtrade/core/node';

/** Symbol of the S&P 500 bars. */
export const SP500_SYMBOL = 'SPX';

/**
 * The S&P 500 index as an instrument spec for core's `defineInstrument`: prices on a 0.01 grid (the index is
 * published with two decimals), whole units. An index is not tradable itself; treat it as a proxy.
 */
export const SP500_INSTRUMENT = {
  id: SP500_SYMBOL,
  pricePrecision: 2,
  quantityPrecision: 0,
  tickSize: 0.01,
  quoteCurrency: 'USD',
} as const;

let cachedRoot: string | undefined;

/** The installed vega-datasets package directory (its `exports` map hides `package.json` and `data/`). */
function vegaDatasetsRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('vega-datasets');
  } catch (cause) {
    throw new RxtradeError({ code: 'INVALID_CONFIG', message: 'vega-datasets is not installed', cause });
  }
  for (let dir = dirname(entry); dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'vega-datasets'
    ) {
      cachedRoot = dir;
      return dir;
    }
  }
  throw new RxtradeError({
    code: 'INVALID_CONFIG',
    message: `cannot find the vega-datasets package root above ${entry}`,
  });
}

/** Absolute path of vega-datasets' `data/sp500-2000.csv` (daily S&P 500 OHLCV, 2000-01-03 to 2020-04-17). */
export function sp500CsvPath(): string {
  return join(vegaDatasetsRoot(), 'data', 'sp500-2000.csv');
}

/**
 * The S&P 500 daily bars as a streaming bar source: symbol `SPX`, `ts` = the date at 00:00 UTC, prices
 * snapped to 0.01. The file stores the two-decimal index levels as float32 artifacts (`1455.219971` for
 * 1455.22); every one of its prices is within float32 rounding of a cent (see the package README), so the
 * snap restores the published values rather than inventing precision. `adjclose` (equal to `close` in this
 * file) is ignored.
 */
export function sp500BarSource(): CsvBarSource {
  return fromCsvFile(sp500CsvPath(), { symbol: SP500_SYMBOL, timeFormat: 'iso', priceDecimals: 2 });
}

/** All 5,105 S&P 500 daily bars (2000-01-03 to 2020-04-17) in memory; see {@link sp500BarSource}. */
export async function loadSp500Bars(): Promise<Bar[]> {
  const bars: Bar[] = [];
  for await (const chunk of sp500BarSource().chunks()) {
    for (const bar of chunk) bars.push(bar);
  }
  return bars;
}
