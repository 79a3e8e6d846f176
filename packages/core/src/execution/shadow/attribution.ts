import type { OrderSide } from '../../model/order';

/**
 * One fill of one side of a shadowed order, on the instrument's grid: `qty` in quantity units,
 * `px` in price units. `window` is the bar the fill happened in (the last bar of the instrument that
 * opened at or before the fill) and `windowOpen` that bar's open in price units: the market price
 * the fill is measured against.
 */
export interface AttributionLeg {
  readonly qty: number;
  readonly px: number;
  readonly taker: boolean;
  readonly window: number;
  readonly windowOpen: number;
}

/** What {@link attribute} compares: one order's simulated and real fills and fees. */
export interface AttributionInput {
  readonly side: OrderSide;
  readonly pricePrecision: number;
  readonly quantityPrecision: number;
  readonly simulated: readonly AttributionLeg[];
  readonly real: readonly AttributionLeg[];
  /** Fees in the quote currency, in units of 10^-feeScale. */
  readonly simulatedFees: bigint;
  readonly realFees: bigint;
  readonly feeScale: number;
  /** The price (units) quantity that only one side bought or sold is marked at. */
  readonly mark: number;
}

/**
 * The real venue's P&L minus the simulated venue's for one order, split by cause, in units of
 * 10^-scale of the quote currency (positive: live did better than the simulation).
 *
 * - `slippage`: on the quantity both filled, the real fill's distance from the market open of its
 *   bar, less the simulated fill's distance from the open of its own bar.
 * - `latency`: on the quantity both filled by taking, the move of the market between the bar the
 *   simulation filled in and the later (or earlier) bar the real fill came in. A resting order that
 *   filled as a maker has no latency: its price is its limit, whenever it fills.
 * - `fees`: simulated fees less real fees.
 * - `partialFills`: quantity one side filled and the other did not, on an order both sides filled
 *   in part, marked at `mark` from the price of the side that filled it.
 * - `missedFills`: quantity the simulation filled on an order the real venue filled none of.
 * - `extraFills`: quantity the real venue filled on an order the simulation filled none of.
 *
 * The parts sum to `total` exactly; `total` is computed apart, as the two books' difference.
 */
export interface Attribution {
  readonly scale: number;
  readonly slippage: bigint;
  readonly latency: bigint;
  readonly fees: bigint;
  readonly partialFills: bigint;
  readonly missedFills: bigint;
  readonly extraFills: bigint;
  readonly total: bigint;
}

/** The parts of an `Attribution`, in the order reports list them. */
export const ATTRIBUTION_PARTS = [
  'slippage',
  'latency',
  'fees',
  'partialFills',
  'missedFills',
  'extraFills',
] as const;

export type AttributionPart = (typeof ATTRIBUTION_PARTS)[number];

/**
 * Attributes the P&L difference of one order between the real and the simulated venue. Fills are
 * matched first in, first out by quantity; every amount is an exact integer (no float enters).
 */
export function attribute(input: AttributionInput): Attribution {
  const { side, simulated, real, mark } = input;
  const s = side === 'buy' ? 1n : -1n;
  const pq = input.pricePrecision + input.quantityPrecision;
  const scale = Math.max(pq, input.feeScale);
  const up = 10n ** BigInt(scale - pq);
  const feeUp = 10n ** BigInt(scale - input.feeScale);
  const m = BigInt(mark);

  let slippage = 0n;
  let latency = 0n;
  let unmatched = 0n;
  // First in, first out: a chunk is the quantity of one simulated leg matched to one real leg.
  let i = 0;
  let j = 0;
  let simLeft = simulated.length > 0 ? (simulated[0] as AttributionLeg).qty : 0;
  let realLeft = real.length > 0 ? (real[0] as AttributionLeg).qty : 0;
  while (i < simulated.length && j < real.length) {
    const a = real[j] as AttributionLeg;
    const b = simulated[i] as AttributionLeg;
    const c = BigInt(Math.min(simLeft, realLeft));
    // The market moved between the two bars: latency, for fills that took liquidity.
    const moved = a.taker && b.taker ? BigInt(a.windowOpen - b.windowOpen) : 0n;
    latency -= s * c * moved;
    slippage -= s * c * (BigInt(a.px - b.px) - moved);
    simLeft -= Number(c);
    realLeft -= Number(c);
    if (simLeft === 0 && ++i < simulated.length) simLeft = (simulated[i] as AttributionLeg).qty;
    if (realLeft === 0 && ++j < real.length) realLeft = (real[j] as AttributionLeg).qty;
  }
  // What only the simulation filled: the P&L it made from its price to the mark, which live did not.
  let simOnly = 0n;
  for (; i < simulated.length; i++) {
    const b = simulated[i] as AttributionLeg;
    simOnly += BigInt(simLeft) * (m - BigInt(b.px));
    if (i + 1 < simulated.length) simLeft = (simulated[i + 1] as AttributionLeg).qty;
  }
  // What only the real venue filled: its P&L from its price to the mark.
  let realOnly = 0n;
  for (; j < real.length; j++) {
    const a = real[j] as AttributionLeg;
    realOnly += BigInt(realLeft) * (m - BigInt(a.px));
    if (j + 1 < real.length) realLeft = (real[j + 1] as AttributionLeg).qty;
  }
  unmatched = s * (realOnly - simOnly);
  const simFilled = simulated.length > 0;
  const realFilled = real.length > 0;
  const partialFills = simFilled && realFilled ? unmatched : 0n;
  const missedFills = simFilled && !realFilled ? unmatched : 0n;
  const extraFills = !simFilled && realFilled ? unmatched : 0n;
  const fees = (input.simulatedFees - input.realFees) * feeUp;

  return {
    scale,
    slippage: slippage * up,
    latency: latency * up,
    fees,
    partialFills: partialFills * up,
    missedFills: missedFills * up,
    extraFills: extraFills * up,
    total: bookDifference(input, scale),
  };
}

/**
 * The real book's P&L from the order less the simulated book's, both marked at `mark`:
 * side × (quantity × mark − notional) − fees, for each side. Computed without matching fills, so
 * it checks the parts.
 */
export function bookDifference(input: AttributionInput, scale: number): bigint {
  const s = input.side === 'buy' ? 1n : -1n;
  const m = BigInt(input.mark);
  const book = (legs: readonly AttributionLeg[]): bigint => {
    let qty = 0n;
    let notional = 0n;
    for (const leg of legs) {
      qty += BigInt(leg.qty);
      notional += BigInt(leg.qty) * BigInt(leg.px);
    }
    return s * (qty * m - notional);
  };
  const pq = input.pricePrecision + input.quantityPrecision;
  return (
    (book(input.real) - book(input.simulated)) * 10n ** BigInt(scale - pq) -
    (input.realFees - input.simulatedFees) * 10n ** BigInt(scale - input.feeScale)
  );
}

/** Sum of attributions at one scale (the largest of theirs). */
export function sumAttributions(items: readonly Attribution[]): Attribution {
  const scale = items.reduce((n, a) => Math.max(n, a.scale), 0);
  const total = {
    scale,
    slippage: 0n,
    latency: 0n,
    fees: 0n,
    partialFills: 0n,
    missedFills: 0n,
    extraFills: 0n,
    total: 0n,
  };
  for (const a of items) {
    const up = 10n ** BigInt(scale - a.scale);
    for (const part of ATTRIBUTION_PARTS) total[part] += a[part] * up;
    total.total += a.total * up;
  }
  return total;
}
