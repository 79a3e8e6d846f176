import {
  type AccountState,
  orderFromRecord as coreOrderFromRecord,
  type Order,
  orderToRecord,
  type Position,
  type StateRecord,
  toUnitsExact,
} from '@rxtrade/core';
import type { PositionSnapshot } from './schemas';

/** Orders are stored as core's order record (`orderToRecord`: one hash field per order field). */
export { orderToRecord };

/** Reads an order record (undefined when there is none); a record that is not an order throws `CORRUPT_STATE`. */
export function orderFromRecord(record: StateRecord | undefined): Order | undefined {
  return record?.['clientOrderId'] === undefined ? undefined : coreOrderFromRecord(record);
}

/** A position record (integers) → its snapshot. */
export function positionFromRecord(
  accountId: string,
  symbol: string,
  r: StateRecord | undefined,
): PositionSnapshot {
  const n = (k: string): number => Number(r?.[k] ?? 0);
  return {
    accountId,
    symbol,
    qty: n('qty'),
    netCashCents: n('netCashCents'),
    openCostCents: n('openCostCents'),
    feesCents: n('feesCents'),
    fills: n('fills'),
    lastPx: n('lastPx'),
    tsLast: n('tsLast'),
  };
}

export function positionToRecord(p: PositionSnapshot): StateRecord {
  return {
    qty: String(p.qty),
    netCashCents: String(p.netCashCents),
    openCostCents: String(p.openCostCents),
    feesCents: String(p.feesCents),
    fills: String(p.fills),
    lastPx: String(p.lastPx),
    tsLast: String(p.tsLast),
  };
}

/**
 * Applies a fill to a position, exactly, in cents. `openCostCents` is the signed cost basis of the
 * open quantity (negative for shorts); realised PnL = netCash + openCost.
 */
export function applyFill(
  p: PositionSnapshot,
  fill: { side: 'buy' | 'sell'; qty: number; px: number; feeCents: number; ts: number },
): PositionSnapshot {
  const sign = fill.side === 'buy' ? 1 : -1;
  const pxCents = toUnitsExact(fill.px, 2);
  const delta = sign * fill.qty;
  const before = p.qty;
  const after = before + delta;
  let openCost = p.openCostCents;
  if (before === 0 || Math.sign(before) === sign) {
    openCost += delta * pxCents;
  } else if (Math.abs(delta) <= Math.abs(before)) {
    openCost = after === 0 ? 0 : Math.round((openCost * after) / before);
  } else {
    openCost = after * pxCents; // flipped: the rest opens at this price
  }
  return {
    ...p,
    qty: after,
    netCashCents: p.netCashCents - delta * pxCents - fill.feeCents,
    openCostCents: openCost,
    feesCents: p.feesCents + fill.feeCents,
    fills: p.fills + 1,
    lastPx: fill.px,
    tsLast: fill.ts,
  };
}

/** Core's Position view of a stored position, marked at `markPx` (the latest bar close). */
export function toPosition(p: PositionSnapshot, markPx: number): Position {
  const mark = Number.isFinite(markPx) && markPx > 0 ? markPx : p.lastPx;
  const markCents = Math.round(mark * 100);
  return {
    accountId: p.accountId,
    instrumentId: p.symbol,
    strategyId: undefined,
    quantity: p.qty,
    // Display values: exact integer cents divided once (avgPx rounded to 1e-8).
    avgPx: p.qty === 0 ? Number.NaN : Math.round((p.openCostCents / p.qty) * 1e6) / 1e8,
    markPx: mark,
    marketValue: (p.qty * markCents) / 100,
    realizedPnl: (p.netCashCents + p.openCostCents) / 100,
    unrealizedPnl: (p.qty * markCents - p.openCostCents) / 100,
    feesPaid: p.feesCents / 100,
    tsLast: p.tsLast,
  };
}

/** Core's AccountState from the account record and its positions. */
export function toAccountState(
  accountId: string,
  account: StateRecord | undefined,
  positions: readonly Position[],
): AccountState {
  const initialCash = Number(account?.['initialCashCents'] ?? 0) / 100;
  const cash = Number(account?.['cashCents'] ?? 0) / 100;
  const mv = positions.reduce((s, p) => s + p.marketValue, 0);
  return {
    accountId,
    currency: 'USD',
    initialCash,
    cash,
    equity: cash + mv,
    realizedPnl: positions.reduce((s, p) => s + p.realizedPnl, 0),
    unrealizedPnl: positions.reduce((s, p) => s + p.unrealizedPnl, 0),
    feesPaid: positions.reduce((s, p) => s + p.feesPaid, 0),
    tsLast: positions.reduce((s, p) => Math.max(s, p.tsLast), 0),
  };
}
