/**
 * The engine's per-order cost: a strategy that trades on every bar (a market order, a resting
 * limit order, then on the next bar a close and a cancel), over 200,000 bars, on one build of core.
 * Prints nanoseconds per order (orders = market + limit + close, each with its events, fills and
 * cancels). For an A/B of two builds, run it alternately on each and compare medians:
 *
 *   CORE_ENTRY=/path/to/old/dist/index.js npx tsx bench/engine-orders.ts
 *   CORE_ENTRY=packages/core/dist/index.js npx tsx bench/engine-orders.ts
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bestAsync, syntheticBars } from './synthetic';

const N = Number(process.env['BENCH_BARS'] ?? 200_000);
const entry = resolve(process.env['CORE_ENTRY'] ?? 'packages/core/dist/index.js');
const core = (await import(pathToFileURL(entry).href)) as typeof import('@rxtrade/core');
const bars = syntheticBars(N);

class Churn extends core.BaseStrategy {
  orders = 0;
  override onBar(bar: { close: number }): void {
    if (this.position() === 0) {
      this.buy(1);
      this.buy(1, { price: Math.round(bar.close * 50) / 100 });
      this.orders += 2;
    } else {
      this.close();
      this.cancelAll();
      this.orders += 1;
    }
  }
}

const runs = Number(process.env['BENCH_RUNS'] ?? 5);
let orders = 0;
const { ms, result } = await bestAsync(runs, async () => {
  const strategy = new Churn();
  const out = await core.runBacktest({
    strategies: strategy,
    data: bars,
    instruments: [{ id: 'SYN', pricePrecision: 4, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 }],
    initialCash: 1_000_000_000,
  });
  orders = strategy.orders;
  return out;
});
console.log(
  `${entry}: ${orders} orders, ${result.fills.length} fills in ${ms.toFixed(1)} ms → ${((ms * 1e6) / orders).toFixed(0)} ns/order`,
);
