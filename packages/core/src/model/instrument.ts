import { z } from 'zod';
import { RxtradeError } from '../errors';
import { pow10, RATE_SCALE, rateToUnits, toUnitsExact } from './decimal';
import type { OrderType } from './order';

/** How an instrument is described by a user or a venue (validated by {@link defineInstrument}). */
export const InstrumentSpecSchema = z.strictObject({
  /** Unique id, e.g. `SPX`, `BTCUSDT`. */
  id: z.string().min(1).max(64),
  /** Decimals of a price (2 for 1402.55). */
  pricePrecision: z.number().int().min(0).max(12),
  /** Decimals of a quantity (0 for whole shares, 8 for BTC). */
  quantityPrecision: z.number().int().min(0).max(12),
  /** Smallest price step; a multiple of 10^-pricePrecision. Default 10^-pricePrecision. */
  tickSize: z.number().positive().optional(),
  /** Smallest quantity step; a multiple of 10^-quantityPrecision. Default 10^-quantityPrecision. */
  lotSize: z.number().positive().optional(),
  /** Smallest order quantity. Default one lot. */
  minQuantity: z.number().positive().optional(),
  /** Largest order quantity. Default unlimited. */
  maxQuantity: z.number().positive().optional(),
  /** Smallest order notional (price × quantity) in the quote currency. Default 0. */
  minNotional: z.number().nonnegative().optional(),
  /** Currency prices are quoted in. Default `USD`. */
  quoteCurrency: z.string().min(1).max(16).optional(),
  /** Maker fee as a fraction of notional (0.001 = 0.1 %). Negative for a rebate. Default 0. */
  makerFee: z.number().min(-0.01).max(0.1).optional(),
  /** Taker fee as a fraction of notional. Default 0. */
  takerFee: z.number().min(-0.01).max(0.1).optional(),
  /**
   * Order types the venue takes for this instrument (natively, or emulated by its connector), e.g.
   * `['market', 'limit', 'stopLimit']` for Binance spot with stop emulation off. Any other type is
   * denied `UNSUPPORTED_ORDER_TYPE` before it is sent, in a backtest as live. Default: every type.
   */
  orderTypes: z
    .array(z.enum(['market', 'limit', 'stop', 'stopLimit']))
    .min(1)
    .readonly()
    .optional(),
});

export type InstrumentSpec = z.input<typeof InstrumentSpecSchema>;

/**
 * A tradable instrument with its grid. Prices and quantities on the grid are held as integer
 * units (`priceUnits = price × 10^pricePrecision`), which is how the engine keeps money exact.
 */
export interface Instrument {
  readonly id: string;
  readonly pricePrecision: number;
  readonly quantityPrecision: number;
  readonly tickSize: number;
  readonly lotSize: number;
  readonly minQuantity: number;
  readonly maxQuantity: number;
  readonly minNotional: number;
  readonly quoteCurrency: string;
  readonly makerFee: number;
  readonly takerFee: number;
  /** Tick size in price units (an integer ≥ 1). */
  readonly tickUnits: number;
  /** Lot size in quantity units (an integer ≥ 1). */
  readonly lotUnits: number;
  /** Maker fee in parts per 10^8. */
  readonly makerFeeUnits: number;
  /** Taker fee in parts per 10^8. */
  readonly takerFeeUnits: number;
  /** Order types the venue takes for this instrument; undefined: every type. */
  readonly orderTypes?: readonly OrderType[] | undefined;
}

function gridUnits(value: number, precision: number, name: string): number {
  const units = toUnitsExact(value, precision);
  if (Number.isNaN(units) || units < 1) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `${name} ${value} is not a positive multiple of 10^-${precision}`,
    });
  }
  return units;
}

/**
 * Validates an instrument spec and fills in the defaults.
 *
 * @example
 * const spx = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001 });
 */
export function defineInstrument(spec: InstrumentSpec): Instrument {
  const parsed = InstrumentSpecSchema.safeParse(spec);
  if (!parsed.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid instrument ${JSON.stringify(spec?.id)}: ${z.prettifyError(parsed.error)}`,
      cause: parsed.error,
    });
  }
  const s = parsed.data;
  const tickSize = s.tickSize ?? 1 / pow10(s.pricePrecision);
  const lotSize = s.lotSize ?? 1 / pow10(s.quantityPrecision);
  const tickUnits = gridUnits(tickSize, s.pricePrecision, 'tickSize');
  const lotUnits = gridUnits(lotSize, s.quantityPrecision, 'lotSize');
  const minQuantity = s.minQuantity ?? lotSize;
  const makerFee = s.makerFee ?? 0;
  const takerFee = s.takerFee ?? 0;
  return Object.freeze({
    id: s.id,
    pricePrecision: s.pricePrecision,
    quantityPrecision: s.quantityPrecision,
    tickSize,
    lotSize,
    minQuantity,
    maxQuantity: s.maxQuantity ?? Number.POSITIVE_INFINITY,
    minNotional: s.minNotional ?? 0,
    quoteCurrency: s.quoteCurrency ?? 'USD',
    makerFee,
    takerFee,
    tickUnits,
    lotUnits,
    makerFeeUnits: rateToUnits(makerFee, 'makerFee'),
    takerFeeUnits: rateToUnits(takerFee, 'takerFee'),
    ...(s.orderTypes === undefined ? {} : { orderTypes: Object.freeze([...new Set(s.orderTypes)]) }),
  });
}

/** Rounding direction for snapping a price to the tick grid. */
export type PriceRounding = 'nearest' | 'down' | 'up';

/** Snaps a price to the instrument's tick grid and returns it in price units. */
export function priceToUnits(
  instrument: Instrument,
  price: number,
  rounding: PriceRounding = 'nearest',
): number {
  const tickUnits = instrument.tickUnits;
  // Marks call this every bar: the common case (nearest, tick = one price unit) skips the division.
  if (rounding === 'nearest' && tickUnits === 1) return Math.round(price * pow10(instrument.pricePrecision));
  const ticks = (price * pow10(instrument.pricePrecision)) / tickUnits;
  // Shave float noise before floor/ceil so 1402.55 never snaps to 1402.54.
  const nearest = Math.round(ticks);
  const onGrid = Math.abs(ticks - nearest) < 1e-9 * Math.max(1, Math.abs(ticks));
  const whole =
    rounding === 'nearest' || onGrid ? nearest : rounding === 'down' ? Math.floor(ticks) : Math.ceil(ticks);
  return whole * tickUnits;
}

/** Snaps a price to the tick grid: `roundPrice(spx, 1402.554) === 1402.55`. */
export function roundPrice(
  instrument: Instrument,
  price: number,
  rounding: PriceRounding = 'nearest',
): number {
  return priceToUnits(instrument, price, rounding) / pow10(instrument.pricePrecision);
}

/** Rounds a quantity down to whole lots (sizing never rounds up): `roundQuantity(spx, 10.7) === 10`. */
export function roundQuantity(instrument: Instrument, quantity: number): number {
  const lots = (quantity * pow10(instrument.quantityPrecision)) / instrument.lotUnits;
  const nearest = Math.round(lots);
  const whole = Math.abs(lots - nearest) < 1e-9 * Math.max(1, Math.abs(lots)) ? nearest : Math.floor(lots);
  return (whole * instrument.lotUnits) / pow10(instrument.quantityPrecision);
}

/** Integer quantity units if `quantity` is a whole number of lots; NaN otherwise. */
export function quantityToUnits(instrument: Instrument, quantity: number): number {
  const units = toUnitsExact(quantity, instrument.quantityPrecision);
  return units % instrument.lotUnits === 0 ? units : Number.NaN;
}

/** Integer price units if `price` lies on the tick grid; NaN otherwise. */
export function priceToUnitsExact(instrument: Instrument, price: number): number {
  const units = toUnitsExact(price, instrument.pricePrecision);
  return units % instrument.tickUnits === 0 ? units : Number.NaN;
}

export { RATE_SCALE };
