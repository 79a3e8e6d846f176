import type { Bar } from '../model/market-data';

/** Which number of a bar a tracked indicator is fed. */
export type PriceSource = 'open' | 'high' | 'low' | 'close' | 'volume' | 'hl2' | 'hlc3' | 'ohlc4';

/** @internal What `track()` accepts: an indicator fed one number per bar. */
export interface ValueIndicator {
  update(value: number): number;
}

/** @internal What `trackBar()` accepts: an indicator fed the whole bar. */
export interface BarIndicator {
  update(bar: Bar): number;
}

/** @internal The reader of a {@link PriceSource}. */
export function priceOf(source: PriceSource): (bar: Bar) => number {
  switch (source) {
    case 'open':
      return (b) => b.open;
    case 'high':
      return (b) => b.high;
    case 'low':
      return (b) => b.low;
    case 'close':
      return (b) => b.close;
    case 'volume':
      return (b) => b.volume;
    case 'hl2':
      return (b) => (b.high + b.low) / 2;
    case 'hlc3':
      return (b) => (b.high + b.low + b.close) / 3;
    case 'ohlc4':
      return (b) => (b.open + b.high + b.low + b.close) / 4;
  }
}
