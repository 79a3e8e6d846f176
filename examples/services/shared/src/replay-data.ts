import type { Bar, InstrumentSpec } from '@rxtrade/core';
import { fromCsvFile } from '@rxtrade/core/node';
import { loadSp500Bars, SP500_INSTRUMENT } from '@rxtrade/datasets';

/** Symbols of the synthetic universe: `SPX0`, `SPX1`, … */
export function symbolNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `SPX${i}`);
}

/** The instrument of every synthetic symbol: the S&P 500's grid (0.01, whole units), no fees. */
export function instrumentFor(symbol: string): InstrumentSpec {
  return { ...SP500_INSTRUMENT, id: symbol } as InstrumentSpec;
}

/**
 * The replay universe: `count` synthetic symbols with `bars` bars each, derived from the S&P 500
 * series (symbol i starts 600·i bars later, re-stamped onto the same timestamps), so every symbol
 * has its own price path and crossovers but all share one calendar. Deterministic: the e2e test
 * computes the same bars to run the in-process reference. With `csv`, that file's bars are used for
 * every symbol instead (re-labelled).
 */
export async function replayBars(options: {
  symbols: number;
  bars: number;
  csv?: string | undefined;
}): Promise<Map<string, Bar[]>> {
  let base: Bar[];
  if (options.csv !== undefined) {
    base = [];
    for await (const chunk of fromCsvFile(options.csv).chunks()) for (const bar of chunk) base.push(bar);
  } else {
    base = await loadSp500Bars();
  }
  const n = Math.min(options.bars, base.length);
  const span = Math.max(1, base.length - n + 1);
  const out = new Map<string, Bar[]>();
  for (const [i, symbol] of symbolNames(options.symbols).entries()) {
    const offset = (i * 600) % span;
    const bars: Bar[] = [];
    for (let k = 0; k < n; k++) {
      const src = base[offset + k] as Bar;
      const stamp = (base[k] as Bar).ts;
      bars.push({ ...src, symbol, ts: stamp });
    }
    out.set(symbol, bars);
  }
  return out;
}
