import { z } from 'zod';

/**
 * One OHLCV bar. `ts` is the bar's open time in epoch milliseconds; prices are in the instrument's
 * quote currency. Bars are plain objects so the backtest hot path allocates nothing of its own.
 */
export interface Bar {
  /** Instrument id, e.g. `SPX` or `BTCUSDT`. */
  readonly symbol: string;
  /** Open time, epoch ms. */
  readonly ts: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

/** A trade print or quote update. `price` is the last trade price; `bid`/`ask` are optional. */
export interface Tick {
  readonly symbol: string;
  readonly ts: number;
  readonly price: number;
  readonly size: number;
  readonly bid?: number;
  readonly ask?: number;
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const positive = finite.refine((n) => n > 0, 'must be > 0');

/** Validates a bar from an untrusted source (file, network). High/low must bound open/close. */
export const BarSchema = z
  .object({
    symbol: z.string().min(1),
    ts: z.number().int().nonnegative(),
    open: positive,
    high: positive,
    low: positive,
    close: positive,
    volume: finite.refine((n) => n >= 0, 'must be >= 0'),
  })
  .refine((b) => b.high >= Math.max(b.open, b.close, b.low) && b.low <= Math.min(b.open, b.close), {
    message: 'high/low must bound open and close',
  });

/** Validates a tick from an untrusted source. */
export const TickSchema = z.object({
  symbol: z.string().min(1),
  ts: z.number().int().nonnegative(),
  price: positive,
  size: finite.refine((n) => n >= 0, 'must be >= 0'),
  bid: positive.optional(),
  ask: positive.optional(),
});
