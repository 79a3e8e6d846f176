import { BaseStrategy } from '@rxtrade/core';

/**
 * For `rxtrade paper` tests of a resampled timeframe: hours from the 1-minute feed; once two hours have
 * completed (the first one in the warm-up), buys 1 on the minute that completes an up hour and sells on the
 * one that completes a down hour.
 */
export class HourlyDirection extends BaseStrategy {
  readonly hourly = this.resample('1h', { inputTimeframe: '1m' });

  override onBar(): void {
    const hour = this.hourly.last;
    if (!this.hourly.isNew || hour === undefined || this.hourly.count < 2) return;
    if (hour.close > hour.open && this.position() === 0) this.buy(1);
    else if (hour.close < hour.open && this.position() > 0) this.close();
  }
}

export default HourlyDirection;
