import { z } from 'zod';
import { RxtradeError } from '../errors';
import { pow10, toUnitsExact } from '../model/decimal';
import { type Instrument, priceToUnits, roundQuantity } from '../model/instrument';
import { buyCostMinorUnits, notionalMinorUnits } from '../model/money';

const positive = z.number().refine((n) => Number.isFinite(n) && n > 0, 'must be a finite number > 0');
const fraction = z.number().refine((n) => n > 0 && n <= 1, 'must be a fraction in (0, 1]');

/**
 * How a signal becomes a quantity. Every model's raw size is scaled by the signal's strength,
 * rounded down to the lot, capped by the cash available for a buy and by the risk limits given,
 * and is 0 when below the instrument's minimum quantity or notional.
 */
export const SizingModelSchema = z.discriminatedUnion('type', [
  /** Always the same quantity. */
  z.strictObject({ type: z.literal('fixedQuantity'), quantity: positive }),
  /** The same amount of currency: notional / price. */
  z.strictObject({ type: z.literal('fixedNotional'), notional: positive }),
  /** A fraction of equity: equity × fraction / price. */
  z.strictObject({ type: z.literal('fixedFraction'), fraction }),
  /**
   * Risk a fraction of equity between entry and stop: equity × riskFraction / stopDistance. The
   * stop distance is the signal's `stopDistance`, else `atrMultiple` × the ATR given to the sizer.
   */
  z.strictObject({ type: z.literal('fixedRisk'), riskFraction: fraction, atrMultiple: positive.optional() }),
  /**
   * Aim the position's annualised volatility at `targetVolatility` of equity:
   * equity × target / (price × σ × √periodsPerYear), σ the per-period stdev of returns. `periodsPerYear`
   * default 252 (daily bars).
   */
  z.strictObject({
    type: z.literal('volatilityTarget'),
    targetVolatility: positive,
    periodsPerYear: positive.optional(),
  }),
  /**
   * Kelly fraction f* = p − (1 − p) / b from a win rate p and payoff ratio b (average win / average
   * loss), scaled by `fraction` (default 0.5, "half Kelly") and capped at `maxFraction` of equity
   * (default 0.25). No edge (f* ≤ 0) sizes 0.
   */
  z.strictObject({
    type: z.literal('kelly'),
    winRate: fraction,
    payoffRatio: positive,
    fraction: fraction.optional(),
    maxFraction: fraction.optional(),
  }),
]);

/** See {@link SizingModelSchema}. */
export type SizingModel = z.input<typeof SizingModelSchema>;

/** What a sizing model may read. Amounts in the instrument's quote currency. */
export interface SizingInput {
  readonly instrument: Instrument;
  /** Expected fill price (the last price for a market order). */
  readonly price: number;
  /** Account equity. */
  readonly equity: number;
  /** Buys or sells. Cash caps only buys. Default buy. */
  readonly side?: 'buy' | 'sell';
  /** Cash a buy may spend, fees included (after what open orders reserve). Default: no cap. */
  readonly availableCash?: number;
  /** Conviction in [0, 1]; scales the size. Default 1. */
  readonly strength?: number;
  /** Price distance to the stop, for `fixedRisk`. */
  readonly stopDistance?: number;
  /** Average true range, for `fixedRisk` with `atrMultiple`. */
  readonly atr?: number;
  /** Per-period standard deviation of returns, for `volatilityTarget`. */
  readonly volatility?: number;
  /** Risk limit: largest quantity. */
  readonly maxQuantity?: number;
  /** Risk limit: largest notional at `price`. */
  readonly maxNotional?: number;
  /** Decimals of the account currency's minor unit, for the exact cash check. Default 2. */
  readonly currencyPrecision?: number;
}

function missing(model: string, what: string): RxtradeError {
  return new RxtradeError({ code: 'INVALID_ARGUMENT', message: `${model} sizing needs ${what}` });
}

/** The model's unrounded quantity before strength and caps. */
function rawQuantity(model: SizingModel, input: SizingInput): number {
  const { price, equity } = input;
  switch (model.type) {
    case 'fixedQuantity':
      return model.quantity;
    case 'fixedNotional':
      return model.notional / price;
    case 'fixedFraction':
      return (equity * model.fraction) / price;
    case 'fixedRisk': {
      const stop =
        input.stopDistance ??
        (model.atrMultiple !== undefined && input.atr !== undefined
          ? model.atrMultiple * input.atr
          : undefined);
      if (stop === undefined || !(stop > 0)) {
        throw missing('fixedRisk', model.atrMultiple ? 'a stopDistance or an atr > 0' : 'a stopDistance > 0');
      }
      return (equity * model.riskFraction) / stop;
    }
    case 'volatilityTarget': {
      const sigma = input.volatility;
      if (sigma === undefined || !(sigma > 0)) throw missing('volatilityTarget', 'a volatility > 0');
      const annual = sigma * Math.sqrt(model.periodsPerYear ?? 252);
      return (equity * model.targetVolatility) / (price * annual);
    }
    case 'kelly': {
      const p = model.winRate;
      const edge = p - (1 - p) / model.payoffRatio;
      if (edge <= 0) return 0;
      const f = Math.min(edge * (model.fraction ?? 0.5), model.maxFraction ?? 0.25);
      return (equity * f) / price;
    }
  }
}

/** Exact notional (and fee, at the larger of the maker and taker rates) of a quantity, in minor units. */
function coster(instrument: Instrument, price: number, currencyPrecision: number) {
  const pxUnits = priceToUnits(instrument, price);
  const amounts = (quantity: number) => ({
    pxUnits,
    qtyUnits: toUnitsExact(quantity, instrument.quantityPrecision),
  });
  return {
    notional: (quantity: number): number =>
      notionalMinorUnits(instrument, amounts(quantity), currencyPrecision),
    // What the cash rule will require for it.
    withFee: (quantity: number): number =>
      buyCostMinorUnits(instrument, amounts(quantity), currencyPrecision),
  };
}

/** Steps down one lot at a time while `exceeds(quantity)`; at most a few steps after a float division. */
function stepDown(instrument: Instrument, quantity: number, exceeds: (q: number) => boolean): number {
  let q = quantity;
  const lot = instrument.lotUnits / pow10(instrument.quantityPrecision);
  for (let i = 0; i < 8 && q > 0 && exceeds(q); i++) q = roundQuantity(instrument, Math.max(0, q - lot));
  return q > 0 && exceeds(q) ? 0 : q;
}

/**
 * Sizes a position: the model's quantity × strength, rounded DOWN to the instrument's lot, capped by
 * the cash available for a buy (fees included, checked exactly), by `maxQuantity`, `maxNotional` and
 * the instrument's maximum; 0 when that is below the instrument's minimum quantity or notional.
 * Throws INVALID_ARGUMENT when the model needs an input that is missing (a stop distance for
 * `fixedRisk`, a volatility for `volatilityTarget`) or the price is not > 0.
 *
 * @example
 * sizePosition({ type: 'fixedFraction', fraction: 0.1 }, { instrument: spx, price: 250, equity: 100_000 }); // 40
 */
export function sizePosition(model: SizingModel, input: SizingInput): number {
  const { instrument, price } = input;
  if (!(price > 0) || !Number.isFinite(price)) {
    throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: `sizing needs a price > 0, got ${price}` });
  }
  const strength = Math.min(1, Math.max(0, input.strength ?? 1));
  let quantity = rawQuantity(model, input) * strength;
  if (!(quantity > 0)) return 0;
  if (input.maxQuantity !== undefined) quantity = Math.min(quantity, input.maxQuantity);
  quantity = Math.min(quantity, instrument.maxQuantity);
  if (input.maxNotional !== undefined) quantity = Math.min(quantity, input.maxNotional / price);
  const cash = input.side === 'sell' ? undefined : input.availableCash;
  const beforeCash = roundQuantity(instrument, quantity);
  if (cash !== undefined) {
    const feeRate = Math.max(instrument.takerFee, instrument.makerFee, 0);
    quantity = Math.min(quantity, Math.max(0, cash) / (price * (1 + feeRate)));
  }
  quantity = roundQuantity(instrument, quantity);
  // The float caps above can land one lot high after rounding; confirm them in exact minor units.
  const precision = input.currencyPrecision ?? 2;
  const scale = pow10(precision);
  const cost = coster(instrument, price, precision);
  const maxUnits =
    input.maxNotional === undefined ? Number.POSITIVE_INFINITY : Math.floor(input.maxNotional * scale + 1e-6);
  if (input.maxNotional !== undefined) {
    quantity = stepDown(instrument, quantity, (q) => cost.notional(q) > maxUnits);
  }
  if (cash !== undefined) {
    const cashUnits = Math.floor(Math.max(0, cash) * scale + 1e-6);
    const exceeds = (q: number): boolean => cost.withFee(q) > cashUnits;
    quantity = stepDown(instrument, quantity, exceeds);
    // The float division may also land a lot low when the cash fits it exactly.
    const lot = instrument.lotUnits / pow10(instrument.quantityPrecision);
    for (let i = 0; i < 2; i++) {
      const more = roundQuantity(instrument, quantity + lot);
      if (more > beforeCash || exceeds(more) || cost.notional(more) > maxUnits) break;
      quantity = more;
    }
  }
  if (quantity < instrument.minQuantity || quantity * price < instrument.minNotional) return 0;
  return quantity;
}
