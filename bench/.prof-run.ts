import { BaseStrategy, runBacktest, Sma } from '@rxtrade/core';
import { syntheticBars } from '/work/main/bench/synthetic';

const bars = syntheticBars(1_000_000);
class SmaCross extends BaseStrategy {
  readonly fast = this.track(new Sma(10));
  readonly slow = this.track(new Sma(30));
  #previous = Number.NaN;
  override onBar(): void {
    const diff = this.fast.value - this.slow.value;
    if (diff > 0 && this.#previous <= 0 && this.position() === 0) this.buy(10);
    else if (diff < 0 && this.#previous >= 0 && this.position() > 0) this.close();
    this.#previous = diff;
  }
}
const instrument = { id: 'SYN', pricePrecision: 4, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 };
for (let i = 0; i < 6; i++) {
  const t = performance.now();
  await runBacktest({ strategies: new SmaCross(), data: bars, instruments: [instrument] });
  console.log('run', (performance.now() - t).toFixed(0));
}
