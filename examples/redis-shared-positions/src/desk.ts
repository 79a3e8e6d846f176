import type { LockManager, StateStore } from '@rxtrade/core';

/** A fill as a venue reports it. Quantities in lots, prices in cents: integers, so the math is exact. */
export interface Fill {
  /** The venue's trade id: the idempotency key. A redelivered fill changes nothing. */
  readonly tradeId: string;
  readonly side: 'BUY' | 'SELL';
  readonly qty: number;
  readonly priceCents: number;
}

export const ACCOUNT = 'acct-1';
export const SYMBOL = 'BTCUSD';
/** The lease that serialises writers of one account, and the fence resource its token protects. */
export const RESOURCE = `account:${ACCOUNT}`;
export const POSITION_KEY = `position:${ACCOUNT}:${SYMBOL}`;

/** The fills each desk (process) receives. Desk A buys, desk B sells, interleaved in time. */
export const FILLS: Record<'desk-a' | 'desk-b', readonly Fill[]> = {
  'desk-a': [
    { tradeId: 'a-1', side: 'BUY', qty: 3, priceCents: 6_512_025 },
    { tradeId: 'a-2', side: 'BUY', qty: 2, priceCents: 6_511_950 },
    { tradeId: 'a-3', side: 'BUY', qty: 5, priceCents: 6_513_000 },
    { tradeId: 'a-4', side: 'SELL', qty: 1, priceCents: 6_514_210 },
  ],
  'desk-b': [
    { tradeId: 'b-1', side: 'SELL', qty: 1, priceCents: 6_512_500 },
    { tradeId: 'b-2', side: 'SELL', qty: 4, priceCents: 6_513_375 },
    { tradeId: 'b-3', side: 'BUY', qty: 2, priceCents: 6_512_800 },
    { tradeId: 'b-4', side: 'SELL', qty: 1, priceCents: 6_514_000 },
  ],
};

export interface Position {
  /** Net quantity in lots (negative = short). */
  readonly qty: number;
  /** Net cash paid for the position, in cents (buys add, sells subtract). */
  readonly costCents: number;
  readonly fills: number;
}

/** What every fill in FILLS adds up to: what both processes must see at the end. */
export function expectedPosition(): Position {
  let qty = 0;
  let costCents = 0;
  let fills = 0;
  for (const fill of [...FILLS['desk-a'], ...FILLS['desk-b']]) {
    const sign = fill.side === 'BUY' ? 1 : -1;
    qty += sign * fill.qty;
    costCents += sign * fill.qty * fill.priceCents;
    fills++;
  }
  return { qty, costCents, fills };
}

export async function readPosition(store: StateStore): Promise<Position> {
  const record = (await store.get(POSITION_KEY)) ?? {};
  return {
    qty: Number(record['qty'] ?? '0'),
    costCents: Number(record['costCents'] ?? '0'),
    fills: Number(record['fills'] ?? '0'),
  };
}

export const formatCents = (cents: number): string =>
  `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100).toLocaleString('en-US')}.${String(Math.abs(cents) % 100).padStart(2, '0')}`;

/**
 * Applies one fill to the shared position: under a lease on the account, fenced by the lease's token,
 * idempotent by tradeId. Integer increments only, so two processes never lose each other's updates.
 * This is where the core engine's account book plugs in: it would produce these ops from a Fill.
 */
export interface Desk {
  readonly name: string;
  readonly store: StateStore;
  readonly locks: LockManager;
}

export async function applyFill(
  { name: desk, store, locks }: Desk,
  fill: Fill,
): Promise<'applied' | 'duplicate'> {
  const lease = await locks.acquire(RESOURCE, { ttlMs: 2_000, waitMs: 5_000, retryDelayMs: 5 });
  if (!lease) throw new Error(`${desk}: could not lease ${RESOURCE} within 5 s`);
  try {
    const sign = fill.side === 'BUY' ? 1 : -1;
    const result = await store.apply({
      eventId: `fill:${fill.tradeId}`,
      fence: { resource: RESOURCE, token: lease.token },
      ops: [
        { op: 'incrBy', key: POSITION_KEY, field: 'qty', by: sign * fill.qty },
        { op: 'incrBy', key: POSITION_KEY, field: 'costCents', by: sign * fill.qty * fill.priceCents },
        { op: 'incrBy', key: POSITION_KEY, field: 'fills', by: 1 },
        { op: 'set', key: POSITION_KEY, fields: { lastTradeId: fill.tradeId, lastWriter: desk } },
      ],
    });
    if (result.applied) return 'applied';
    if (result.reason === 'DUPLICATE_EVENT') return 'duplicate';
    // STALE_FENCING_TOKEN: our lease expired and someone else holds the account now. Nothing was written.
    throw new Error(`${desk}: lease lost before writing ${fill.tradeId}; retry under a new lease`);
  } finally {
    await lease.release();
  }
}
