import { mulDivRound, mulMulDivRound, pow10, RATE_SCALE } from './decimal';
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
    return mulMulDivRound(amounts.pxUnits, amounts.qtyUnits, amounts.rateUnits, pow10(shift) * RATE_SCALE);
  }
  return mulDivRound(amounts.pxUnits * amounts.qtyUnits * pow10(-shift), amounts.rateUnits, RATE_SCALE);
}
