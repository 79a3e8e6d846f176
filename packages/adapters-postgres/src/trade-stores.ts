import { createHash } from 'node:crypto';
import {
  type ClosedTrade,
  type Fill,
  type Order,
  type OrderEvent,
  type OrderStatus,
  RxtradeError,
} from '@rxtrade/core';
import type { Pool } from 'pg';
import { AS_NUMBERS, adapterError, fromMs, numeric, numericOrNull, toMs } from './sql';
import { assertRecords } from './validate';

/** What an append did: how many records were new (the rest were stored already). */
export interface AppendResult {
  readonly inserted: number;
}

/**
 * Order history of a run: every event (append-only, idempotent) and the latest snapshot of every
 * order. Writes refuse a whole batch with `INVALID_ARGUMENT` if any record is malformed.
 */
export interface OrderStore {
  /**
   * Appends order events. A fill is identified by its `tradeId`; any other event by its content (the
   * same event delivered twice is stored once), so redelivery is harmless.
   */
  appendEvents(runId: string, events: readonly OrderEvent[]): Promise<AppendResult>;
  /** Events of a run (or of one order), in the order they were first stored. */
  events(runId: string, clientOrderId?: string): Promise<OrderEvent[]>;
  /** Upserts order snapshots; an older snapshot (smaller `tsLast`) never overwrites a newer one. */
  upsert(runId: string, orders: readonly Order[]): Promise<AppendResult>;
  get(runId: string, clientOrderId: string): Promise<Order | undefined>;
  /** Every order of a run, by `tsInit`. */
  list(runId: string): Promise<Order[]>;
}

/** Fills of a run: append-only, one row per (account, instrument, tradeId). */
export interface FillStore {
  /** Appends fills; a fill whose `tradeId` is stored already (same account and instrument) is skipped. */
  append(runId: string, fills: readonly Fill[]): Promise<AppendResult>;
  /** Fills of a run, in the order they were first stored. */
  list(runId: string): Promise<Fill[]>;
  /**
   * Exact sums over a run's fills, computed by PostgreSQL in NUMERIC and returned as decimal strings,
   * so they are exact however many fills there are.
   */
  totals(runId: string): Promise<FillTotals>;
}

/** Sums over a run's fills, as exact decimal strings. */
export interface FillTotals {
  readonly fills: number;
  /** Σ lastQty × lastPx. */
  readonly notional: string;
  readonly fees: string;
  readonly boughtQty: string;
  readonly soldQty: string;
}

/** Completed round trips of a run. Idempotent on (account, strategy, symbol, entry and exit time). */
export interface ClosedTradeStore {
  append(runId: string, trades: readonly ClosedTrade[]): Promise<AppendResult>;
  /** By exit time. */
  list(runId: string): Promise<ClosedTrade[]>;
}

const stableJson = (event: object): string =>
  JSON.stringify(Object.fromEntries(Object.entries(event).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

/** A fill's key is its trade id; another event's key is the hash of its content. */
const eventKey = (event: OrderEvent): string =>
  event.type === 'OrderFilled'
    ? `trade:${event.tradeId}`
    : `sha256:${createHash('sha256').update(stableJson(event)).digest('base64url')}`;

const column = <T, V>(records: readonly T[], pick: (record: T) => V): V[] => records.map(pick);

async function run<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw adapterError(operation, error);
  }
}

export function createOrderStore(pool: Pool, s: string, guard: () => void): OrderStore {
  const ORDER_COLUMNS = `client_order_id AS "clientOrderId", venue_order_id AS "venueOrderId", account_id AS "accountId",
    strategy_id AS "strategyId", instrument_id AS "instrumentId", side, type, quantity, price, trigger_price AS "triggerPrice",
    time_in_force AS "timeInForce", reduce_only AS "reduceOnly", post_only AS "postOnly", status,
    previous_status AS "previousStatus", filled_qty AS "filledQty", leaves_qty AS "leavesQty", avg_px AS "avgPx",
    quantity_precision AS "quantityPrecision", trade_ids AS "tradeIds", ${toMs('ts_init')} AS "tsInit", ${toMs('ts_last')} AS "tsLast"`;
  type OrderRow = Omit<Order, 'venueOrderId' | 'price' | 'triggerPrice' | 'previousStatus' | 'avgPx'> & {
    venueOrderId: string | null;
    price: number | null;
    triggerPrice: number | null;
    previousStatus: OrderStatus | null;
    avgPx: number | null;
  };
  const toOrder = (row: OrderRow): Order => ({
    ...row,
    venueOrderId: row.venueOrderId ?? undefined,
    price: row.price ?? undefined,
    triggerPrice: row.triggerPrice ?? undefined,
    previousStatus: row.previousStatus ?? undefined,
    avgPx: row.avgPx ?? Number.NaN,
  });

  return {
    appendEvents: (runId, events) =>
      run('orders.appendEvents', async () => {
        guard();
        assertRecords('order event', events);
        if (events.length === 0) return { inserted: 0 };
        const result = await pool.query(
          `INSERT INTO ${s}.order_events (run_id, client_order_id, event_key, type, account_id, strategy_id, instrument_id, ts_event, event)
           SELECT $1, e.client_order_id, e.event_key, e.type, e.account_id, e.strategy_id, e.instrument_id, ${fromMs('e.ts_event')}, e.event
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::jsonb[])
             WITH ORDINALITY AS e(client_order_id, event_key, type, account_id, strategy_id, instrument_id, ts_event, event, n)
           ORDER BY e.n
           ON CONFLICT DO NOTHING`,
          [
            runId,
            column(events, (e) => e.clientOrderId),
            column(events, eventKey),
            column(events, (e) => e.type),
            column(events, (e) => e.accountId),
            column(events, (e) => e.strategyId),
            column(events, (e) => e.instrumentId),
            column(events, (e) => e.tsEvent),
            column(events, (e) => JSON.stringify(e)),
          ],
        );
        return { inserted: result.rowCount ?? 0 };
      }),
    events: (runId, clientOrderId) =>
      run('orders.events', async () => {
        guard();
        const result = await pool.query<{ event: OrderEvent }>(
          `SELECT event FROM ${s}.order_events WHERE run_id = $1 AND ($2::text IS NULL OR client_order_id = $2) ORDER BY seq`,
          [runId, clientOrderId ?? null],
        );
        return result.rows.map((r) => r.event);
      }),
    upsert: (runId, orders) =>
      run('orders.upsert', async () => {
        guard();
        assertRecords('order', orders);
        if (orders.length === 0) return { inserted: 0 };
        const result = await pool.query(
          `INSERT INTO ${s}.orders (run_id, client_order_id, venue_order_id, account_id, strategy_id, instrument_id, side, type,
             quantity, price, trigger_price, time_in_force, reduce_only, post_only, status, previous_status, filled_qty,
             leaves_qty, avg_px, quantity_precision, trade_ids, ts_init, ts_last)
           SELECT $1, o.c1, o.c2, o.c3, o.c4, o.c5, o.c6, o.c7, o.c8, o.c9, o.c10, o.c11, o.c12, o.c13, o.c14, o.c15, o.c16,
             o.c17, o.c18, o.c19, ARRAY(SELECT jsonb_array_elements_text(o.c20)), ${fromMs('o.c21')}, ${fromMs('o.c22')}
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[],
             $10::numeric[], $11::numeric[], $12::text[], $13::boolean[], $14::boolean[], $15::text[], $16::text[],
             $17::numeric[], $18::numeric[], $19::numeric[], $20::integer[], $21::jsonb[], $22::bigint[], $23::bigint[])
             AS o(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15, c16, c17, c18, c19, c20, c21, c22)
           ON CONFLICT (run_id, client_order_id) DO UPDATE SET
             venue_order_id = EXCLUDED.venue_order_id, status = EXCLUDED.status, previous_status = EXCLUDED.previous_status,
             filled_qty = EXCLUDED.filled_qty, leaves_qty = EXCLUDED.leaves_qty, avg_px = EXCLUDED.avg_px,
             trade_ids = EXCLUDED.trade_ids, ts_last = EXCLUDED.ts_last
           WHERE ${s}.orders.ts_last <= EXCLUDED.ts_last`,
          [
            runId,
            column(orders, (o) => o.clientOrderId),
            column(orders, (o) => o.venueOrderId ?? null),
            column(orders, (o) => o.accountId),
            column(orders, (o) => o.strategyId),
            column(orders, (o) => o.instrumentId),
            column(orders, (o) => o.side),
            column(orders, (o) => o.type),
            column(orders, (o) => numeric(o.quantity)),
            column(orders, (o) => numericOrNull(o.price)),
            column(orders, (o) => numericOrNull(o.triggerPrice)),
            column(orders, (o) => o.timeInForce),
            column(orders, (o) => o.reduceOnly),
            column(orders, (o) => o.postOnly),
            column(orders, (o) => o.status),
            column(orders, (o) => o.previousStatus ?? null),
            column(orders, (o) => numeric(o.filledQty)),
            column(orders, (o) => numeric(o.leavesQty)),
            column(orders, (o) => numericOrNull(o.avgPx)),
            column(orders, (o) => o.quantityPrecision),
            column(orders, (o) => JSON.stringify(o.tradeIds)),
            column(orders, (o) => o.tsInit),
            column(orders, (o) => o.tsLast),
          ],
        );
        return { inserted: result.rowCount ?? 0 };
      }),
    get: (runId, clientOrderId) =>
      run('orders.get', async () => {
        guard();
        const result = await pool.query<OrderRow>({
          text: `SELECT ${ORDER_COLUMNS} FROM ${s}.orders WHERE run_id = $1 AND client_order_id = $2`,
          values: [runId, clientOrderId],
          types: AS_NUMBERS,
        });
        const row = result.rows[0];
        return row === undefined ? undefined : toOrder(row);
      }),
    list: (runId) =>
      run('orders.list', async () => {
        guard();
        const result = await pool.query<OrderRow>({
          text: `SELECT ${ORDER_COLUMNS} FROM ${s}.orders WHERE run_id = $1 ORDER BY ts_init, client_order_id`,
          values: [runId],
          types: AS_NUMBERS,
        });
        return result.rows.map(toOrder);
      }),
  };
}

/** Throws `INVALID_ARGUMENT` unless every record is a valid `OrderFilled` event. */
export function assertFills(fills: readonly Fill[]): void {
  assertRecords('order event', fills);
  const index = fills.findIndex((f) => f.type !== 'OrderFilled');
  if (index >= 0) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `fill #${index} is an ${fills[index]?.type} event, not OrderFilled; nothing was written`,
      details: { index },
    });
  }
}

export function createFillStore(pool: Pool, s: string, guard: () => void): FillStore {
  return {
    append: (runId, fills) =>
      run('fills.append', async () => {
        guard();
        assertFills(fills);
        if (fills.length === 0) return { inserted: 0 };
        const result = await pool.query(
          `INSERT INTO ${s}.fills (run_id, account_id, instrument_id, trade_id, client_order_id, venue_order_id, strategy_id,
             side, last_qty, last_px, fee, fee_currency, liquidity_side, ts_event)
           SELECT $1, f.c1, f.c2, f.c3, f.c4, f.c5, f.c6, f.c7, f.c8, f.c9, f.c10, f.c11, f.c12, ${fromMs('f.c13')}
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[],
             $10::numeric[], $11::numeric[], $12::text[], $13::text[], $14::bigint[])
             WITH ORDINALITY AS f(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, n)
           ORDER BY f.n
           ON CONFLICT DO NOTHING`,
          [
            runId,
            column(fills, (f) => f.accountId),
            column(fills, (f) => f.instrumentId),
            column(fills, (f) => f.tradeId),
            column(fills, (f) => f.clientOrderId),
            column(fills, (f) => f.venueOrderId),
            column(fills, (f) => f.strategyId),
            column(fills, (f) => f.side),
            column(fills, (f) => numeric(f.lastQty)),
            column(fills, (f) => numeric(f.lastPx)),
            column(fills, (f) => numeric(f.fee)),
            column(fills, (f) => f.feeCurrency),
            column(fills, (f) => f.liquiditySide),
            column(fills, (f) => f.tsEvent),
          ],
        );
        return { inserted: result.rowCount ?? 0 };
      }),
    list: (runId) =>
      run('fills.list', async () => {
        guard();
        const result = await pool.query<Fill>({
          text: `SELECT 'OrderFilled' AS type, client_order_id AS "clientOrderId", account_id AS "accountId",
                   strategy_id AS "strategyId", instrument_id AS "instrumentId", ${toMs('ts_event')} AS "tsEvent",
                   venue_order_id AS "venueOrderId", trade_id AS "tradeId", side, last_qty AS "lastQty", last_px AS "lastPx",
                   fee, fee_currency AS "feeCurrency", liquidity_side AS "liquiditySide"
                 FROM ${s}.fills WHERE run_id = $1 ORDER BY seq`,
          values: [runId],
          types: AS_NUMBERS,
        });
        return result.rows;
      }),
    totals: (runId) =>
      run('fills.totals', async () => {
        guard();
        // Default pg parsing: NUMERIC stays a string (exact), count(*) (INT8) is parsed below.
        const result = await pool.query<{
          fills: string;
          notional: string;
          fees: string;
          bought: string;
          sold: string;
        }>(
          `SELECT count(*) AS fills, coalesce(sum(last_qty * last_px), 0)::text AS notional, coalesce(sum(fee), 0)::text AS fees,
             coalesce(sum(last_qty) FILTER (WHERE side = 'buy'), 0)::text AS bought,
             coalesce(sum(last_qty) FILTER (WHERE side = 'sell'), 0)::text AS sold
           FROM ${s}.fills WHERE run_id = $1`,
          [runId],
        );
        const row = result.rows[0];
        return {
          fills: Number(row?.fills ?? 0),
          notional: row?.notional ?? '0',
          fees: row?.fees ?? '0',
          boughtQty: row?.bought ?? '0',
          soldQty: row?.sold ?? '0',
        };
      }),
  };
}

export function createClosedTradeStore(pool: Pool, s: string, guard: () => void): ClosedTradeStore {
  return {
    append: (runId, trades) =>
      run('closedTrades.append', async () => {
        guard();
        assertRecords('closed trade', trades);
        if (trades.length === 0) return { inserted: 0 };
        const result = await pool.query(
          `INSERT INTO ${s}.closed_trades (run_id, account_id, strategy_id, symbol, side, entry_ts, exit_ts, entry_px, exit_px,
             quantity, pnl, fees, return_pct)
           SELECT $1, t.c1, t.c2, t.c3, t.c4, ${fromMs('t.c5')}, ${fromMs('t.c6')}, t.c7, t.c8, t.c9, t.c10, t.c11, t.c12
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::numeric[], $9::numeric[],
             $10::numeric[], $11::numeric[], $12::numeric[], $13::numeric[])
             AS t(c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12)
           ON CONFLICT DO NOTHING`,
          [
            runId,
            column(trades, (t) => t.accountId),
            // '' is the account's own book; a strategy's virtual book has its id.
            column(trades, (t) => t.strategyId ?? ''),
            column(trades, (t) => t.symbol),
            column(trades, (t) => t.side),
            column(trades, (t) => t.entryTs),
            column(trades, (t) => t.exitTs),
            column(trades, (t) => numeric(t.entryPx)),
            column(trades, (t) => numeric(t.exitPx)),
            column(trades, (t) => numeric(t.quantity)),
            column(trades, (t) => numeric(t.pnl)),
            column(trades, (t) => numeric(t.fees)),
            column(trades, (t) => numeric(t.returnPct)),
          ],
        );
        return { inserted: result.rowCount ?? 0 };
      }),
    list: (runId) =>
      run('closedTrades.list', async () => {
        guard();
        const result = await pool.query<ClosedTrade & { strategyId: string }>({
          text: `SELECT account_id AS "accountId", strategy_id AS "strategyId", symbol, side,
                   ${toMs('entry_ts')} AS "entryTs", ${toMs('exit_ts')} AS "exitTs", entry_px AS "entryPx", exit_px AS "exitPx",
                   quantity, pnl, fees, return_pct AS "returnPct"
                 FROM ${s}.closed_trades WHERE run_id = $1 ORDER BY exit_ts, entry_ts, account_id, strategy_id, symbol`,
          values: [runId],
          types: AS_NUMBERS,
        });
        return result.rows.map((r) => ({ ...r, strategyId: r.strategyId === '' ? undefined : r.strategyId }));
      }),
  };
}
