import { mulDivCeil, mulDivRound, mulMulDivRound, pow10, RATE_SCALE } from './decimal';
import type { Instrument } from './instrument';

/**
 * Notional of `qtyUnits` at `pxUnits` in minor units of a currency with `currencyPrecision`
 * decimals, rounded half-even. Exact: no float enters the computation.
 */
export function notionalMinorUnits(
  instrument: Instrument,
  amounts: { pxUnits: number; qtyUnits: number },
  currencyPrecision: number,
): number {
  const shift = instrument.pricePrecision + instrument.quantityPrecision - currencyPrecision;
  return shift >= 0
    ? mulDivRound(amounts.pxUnits, amounts.qtyUnits, pow10(shift))
    : amounts.pxUnits * amounts.qtyUnits * pow10(-shift);
}

/** Fee on a fill in minor units: notional × rate, rounded half-even once (not the rounded notional × rate). */
export function feeMinorUnits(
  instrument: Instrument,
  amounts: { pxUnits: number; qtyUnits: number; rateUnits: number },
  currencyPrecision: number,
): number {
  if (amounts.rateUnits === 0) return 0;
  const shift = instrument.pricePrecision + instrument.quantityPrecision - currencyPrecision;
  if (shift >= 0) {
    // pow10(shift) × 10^8 as a double is exact only up to 10^22: beyond, divide by the exact bigint.
    const divisor = pow10(shift) * RATE_SCALE;
    const exact = Number.isSafeInteger(divisor) ? divisor : 10n ** BigInt(shift + 8);
    return mulMulDivRound([amounts.pxUnits, amounts.qtyUnits, amounts.rateUnits], exact);
  }
  return mulDivRound(amounts.pxUnits * amounts.qtyUnits * pow10(-shift), amounts.rateUnits, RATE_SCALE);
}

/**
 * The most a buy of `qtyUnits` at `pxUnits` can cost, in minor units: its notional plus the fee at the
 * larger of the instrument's maker and taker rates (a rebate counts as no fee), rounded up. What cash
 * checks hold back for a buy before it fills. Exact.
 */
export function buyCostMinorUnits(
  instrument: Instrument,
  amounts: { pxUnits: number; qtyUnits: number },
  currencyPrecision: number,
): number {
  const notional = notionalMinorUnits(instrument, amounts, currencyPrecision);
  const rateUnits = Math.max(instrument.takerFeeUnits, instrument.makerFeeUnits, 0);
  return notional + mulDivCeil(notional, rateUnits, RATE_SCALE);
}
