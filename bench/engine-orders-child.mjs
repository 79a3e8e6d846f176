// One side of bench/engine-orders.ts: plain JavaScript on one build of @rxtrade/core (what a
// production process runs), in a process of its own so the two builds never share type feedback.
// Usage: node engine-orders-child.mjs <core dist/index.js> <bars.json> <runs> [churn | sma]
// Prints one JSON line: the best time of <runs> backtests after one warm-up, and what they did.
// `churn` (default): the order-heavy strategy below; `sma`: bench/engine.ts's SMA(10)/SMA(30)
// crossover, a few orders over many bars (the bars-only hot path).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [entry, barsFile, runsArg] = process.argv.slice(2);
const core = await import(pathToFileURL(entry).href);
const bars = JSON.parse(readFileSync(barsFile, 'utf8'));
const runs = Number(runsArg ?? 5);
const workload = process.argv[5] ?? 'churn';

/**
 * Order-heavy on purpose, on every bar: cancel what still rests from the last bar, then a market
 * order that flips the position (flat → buy 1, long → close; fills at the next open), a limit buy
 * 0.02 % under the close (fills when the next bar reaches it, else it is canceled next bar) and a
 * limit buy at half the price (never fills, always canceled). Canceling before the new orders keeps
 * the close from being canceled in the bar that sends it.
 */
class Churn extends core.BaseStrategy {
  submitted = 0;
  events = {};
  onBar(bar) {
    this.cancelAll();
    if (this.position() > 0) this.close();
    else this.buy(1);
    this.buy(1, { price: Math.round(bar.close * 0.9998 * 10_000) / 10_000 });
    this.buy(1, { price: Math.round(bar.close * 5_000) / 10_000 });
    this.submitted += 3;
  }
  onOrderEvent(event) {
    this.events[event.type] = (this.events[event.type] ?? 0) + 1;
  }
}

/** bench/engine.ts's strategy, on this build's classes. */
class SmaCross extends core.BaseStrategy {
  submitted = 0;
  events = {};
  fast = this.track(new core.Sma(10));
  slow = this.track(new core.Sma(30));
  previous = Number.NaN;
  onBar() {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.previous <= 0 && this.position() === 0) {
      this.buy(10);
      this.submitted++;
    } else if (diff < 0 && this.previous >= 0 && this.position() > 0) {
      this.close();
      this.submitted++;
    }
    this.previous = diff;
  }
  onOrderEvent(event) {
    this.events[event.type] = (this.events[event.type] ?? 0) + 1;
  }
}

const instrument = { id: 'SYN', pricePrecision: 4, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };
const once = async () => {
  const strategy = workload === 'sma' ? new SmaCross() : new Churn();
  const result = await core.runBacktest({
    strategies: strategy,
    data: bars,
    instruments: [instrument],
    initialCash: workload === 'sma' ? 100_000 : 1_000_000_000,
  });
  return { strategy, result };
};

let last = await once();
let ms = Number.POSITIVE_INFINITY;
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  last = await once();
  ms = Math.min(ms, performance.now() - t0);
}
console.log(
  JSON.stringify({
    ms,
    submitted: last.strategy.submitted,
    fills: last.result.fills.length,
    events: last.strategy.events,
    equity: last.result.account.equity,
  }),
);
