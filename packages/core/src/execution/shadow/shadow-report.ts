import { formatUnits } from '../../model/decimal';
import type { OrderSide, OrderStatus, OrderType } from '../../model/order';
import { ATTRIBUTION_PARTS, type Attribution, type AttributionPart } from './attribution';

/**
 * How the two venues' fills of one order compare: `matched` (both filled the same quantity, perhaps
 * at different prices and times), `partial` (both filled some, not the same), `missed` (only the
 * simulation filled), `extra` (only the real venue filled), `unfilled` (neither).
 */
export type ShadowOutcome = 'matched' | 'partial' | 'missed' | 'extra' | 'unfilled';

export const SHADOW_OUTCOMES: readonly ShadowOutcome[] = [
  'matched',
  'partial',
  'missed',
  'extra',
  'unfilled',
];

/** An attribution as exact decimal strings in the quote currency (positive: live did better). */
export type ShadowAttribution = Readonly<Record<AttributionPart | 'total', string>>;

/** One venue's side of a shadowed order. */
export interface ShadowSideReport {
  /** Where the order ended (or stands, for an order still working when the report was made). */
  readonly status: OrderStatus;
  readonly filledQty: number;
  /** Volume-weighted fill price; null without fills. */
  readonly avgPx: number | null;
  readonly firstFillTs: number | null;
  readonly lastFillTs: number | null;
  readonly fills: number;
  /** Fees in the quote currency, exact decimal string. */
  readonly fees: string;
  /** Fees charged in another currency (e.g. BNB), by currency: listed, not attributed. */
  readonly otherFees?: Readonly<Record<string, number>>;
  /** The venue's reason, when it rejected the order. */
  readonly reason?: string;
}

/**
 * One order as both venues executed it, and where the P&L difference came from. Emitted by
 * `ShadowExecutionClient.reports$` once both venues are done with the order and a bar after its last
 * real fill arrived (that bar fixes the market price latency is measured against).
 */
export interface ShadowOrderReport {
  readonly clientOrderId: string;
  readonly accountId: string;
  readonly strategyId: string;
  readonly instrumentId: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly quantity: number;
  readonly price?: number;
  readonly triggerPrice?: number;
  /** When the order was created, epoch ms. */
  readonly tsInit: number;
  readonly outcome: ShadowOutcome;
  readonly simulated: ShadowSideReport;
  readonly real: ShadowSideReport;
  /** First real fill less first simulated fill, ms; null unless both filled. */
  readonly delayMs: number | null;
  /**
   * How much worse the real average price was than the simulated one, in basis points of the
   * simulated price (positive: live paid more on a buy, got less on a sell); null unless both filled.
   */
  readonly priceDiffBps: number | null;
  /** Quote currency of the amounts. */
  readonly currency: string;
  /** The price quantity only one venue filled is marked at: the instrument's last close. */
  readonly mark: { readonly px: number; readonly ts: number };
  readonly attribution: ShadowAttribution;
}

/**
 * The shadow venue's document: every settled order, counts by outcome and the attribution summed per
 * currency. Deterministic for the same events (no wall-clock time but `ts`, the client's clock).
 * Quantities only one venue filled are marked at each instrument's last close when the document is
 * made, so the totals are the difference of the two books at that moment.
 */
export interface ShadowReport {
  readonly v: 1;
  readonly venues: { readonly real: string; readonly simulated: string };
  /** When the document was made, epoch ms (the shadow client's clock). */
  readonly ts: number;
  readonly orders: readonly ShadowOrderReport[];
  /** Orders still working at either venue (not in `orders` yet). */
  readonly pending: number;
  readonly outcomes: Readonly<Record<ShadowOutcome, number>>;
  /** Attribution summed over the orders, per quote currency. */
  readonly totals: Readonly<Record<string, ShadowAttribution>>;
}

/** An exact amount as a decimal string, trailing zeros trimmed to two decimals: `-0.0301`, `12.50`. */
export function formatAmount(units: bigint, scale: number): string {
  const text = formatUnits(units, scale);
  if (scale <= 2) return text;
  const trimmed = text.replace(/0+$/, '');
  const dot = trimmed.indexOf('.');
  const decimals = trimmed.length - dot - 1;
  return decimals >= 2 ? trimmed : trimmed + '0'.repeat(2 - decimals);
}

/** An attribution as decimal strings. */
export function formatAttribution(a: Attribution): ShadowAttribution {
  const out = {} as Record<AttributionPart | 'total', string>;
  for (const part of ATTRIBUTION_PARTS) out[part] = formatAmount(a[part], a.scale);
  out.total = formatAmount(a.total, a.scale);
  return out;
}
