// Plain JavaScript on the built package (what a production process runs), so the measurement is
// not inflated by a TypeScript loader. bench/memory.ts builds @rxtrade/core first.
import { BaseStrategy, fromCsvFile, runBacktest, Sma } from '@rxtrade/core';

class SmaCross extends BaseStrategy {
  fast = this.track(new Sma(10));
  slow = this.track(new Sma(30));
  previous = Number.NaN;
  onBar() {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.previous <= 0 && this.position() === 0) this.buy(10);
    else if (diff < 0 && this.previous >= 0 && this.position() > 0) this.close();
    this.previous = diff;
  }
}

const [mode, path] = process.argv.slice(2);
const source = fromCsvFile(path, { symbol: 'SYN', priceDecimals: 4 });
const t0 = performance.now();
let bars = 0;
let fills = 0;
if (mode === 'read') {
  for await (const chunk of source.chunks()) bars += chunk.length;
} else if (mode === 'backtest') {
  const result = await runBacktest({
    strategies: new SmaCross(),
    data: source,
    instruments: [{ id: 'SYN', pricePrecision: 4, quantityPrecision: 0, takerFee: 0.001 }],
    recordFills: false,
    recordClosedTrades: false,
    maxEquityPoints: 100_000,
  });
  bars = result.bars;
  fills = result.statistics.numberOfTrades * 2;
}
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, bars, seconds, fills }));
