import type { Fill, Order, OrderEvent } from '@rxtrade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresHistory, type PostgresHistory } from './postgres-history';
import {
  backtestFills,
  CONNECTION_STRING,
  closedTrades,
  codeOf,
  dropSchema,
  postgresAvailable,
  uniqueSchema,
} from './test-fixtures/database';

const available = await postgresAvailable();

const order = (patch: Partial<Order> = {}): Order => ({
  clientOrderId: 'O-1',
  venueOrderId: undefined,
  accountId: 'ACC1',
  strategyId: 'sma-cross',
  instrumentId: 'SPX',
  side: 'buy',
  type: 'limit',
  quantity: 10,
  price: 3000.25,
  triggerPrice: undefined,
  timeInForce: 'GTC',
  reduceOnly: false,
  postOnly: false,
  status: 'submitted',
  previousStatus: undefined,
  filledQty: 0,
  leavesQty: 10,
  avgPx: Number.NaN,
  quantityPrecision: 0,
  tradeIds: [],
  tsInit: 1_000,
  tsLast: 1_000,
  ...patch,
});

describe.skipIf(!available)('runs, orders, fills, closed trades (PostgreSQL)', () => {
  const schema = uniqueSchema();
  let history: PostgresHistory;
  let runId: string;

  beforeAll(async () => {
    history = createPostgresHistory({ connectionString: CONNECTION_STRING, schema, poolSize: 2 });
    await history.migrate();
    runId = (await history.runs.create({ strategyId: 'sma-cross', params: { fast: 10, slow: 30 } })).runId;
  });
  afterAll(async () => {
    await history?.close();
    await dropSchema(schema);
  });

  it("stores a backtest's fills once however often they are written, in order, with exact sums", async () => {
    const fills = backtestFills(1_000);
    expect(await history.fills.append(runId, fills)).toEqual({ inserted: 1_000 });
    expect(await history.fills.append(runId, fills)).toEqual({ inserted: 0 });
    expect(
      await history.fills.append(runId, [...fills.slice(990), ...backtestFills(1_001).slice(1_000)]),
    ).toEqual({
      inserted: 1,
    });
    const stored = await history.fills.list(runId);
    expect(stored).toHaveLength(1_001);
    expect(stored.slice(0, 1_000)).toEqual(fills);
    // 1,001 fees of 0.1: NUMERIC sums exactly; a float sum would not.
    const totals = await history.fills.totals(runId);
    expect(totals.fees).toBe('100.1');
    expect(fills.reduce((sum, f) => sum + f.fee, 0) + 0.1).not.toBe(100.1);
    expect(totals.fills).toBe(1_001);
    expect(totals.boughtQty).toBe('5010');
    expect(totals.soldQty).toBe('5000');
  });

  it('keeps the fills of different runs apart, even with the same trade ids', async () => {
    const other = await history.runs.create({ strategyId: 'sma-cross', params: { fast: 5, slow: 20 } });
    expect(await history.fills.append(other.runId, backtestFills(10))).toEqual({ inserted: 10 });
    expect(await history.fills.list(other.runId)).toHaveLength(10);
  });

  it('refuses bad fills with a typed error and writes nothing', async () => {
    const fills = backtestFills(5);
    const before = (await history.fills.totals(runId)).fills;
    const withNaN = fills.map((f, i) => (i === 3 ? { ...f, tradeId: 'NEW', lastPx: Number.NaN } : f));
    expect(await codeOf(history.fills.append(runId, withNaN))).toBe('INVALID_ARGUMENT');
    const notAFill = [{ ...fills[0], type: 'OrderAccepted' } as unknown as Fill];
    expect(await codeOf(history.fills.append(runId, notAFill))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(history.fills.append('no-such-run', fills))).toBe('ADAPTER_FAILURE');
    expect((await history.fills.totals(runId)).fills).toBe(before);
  });

  it('appends order events idempotently and reads them back in order', async () => {
    const base = { accountId: 'ACC1', strategyId: 'sma-cross', instrumentId: 'SPX' };
    const events: OrderEvent[] = [
      { ...base, type: 'OrderSubmitted', clientOrderId: 'E-1', tsEvent: 10 },
      { ...base, type: 'OrderAccepted', clientOrderId: 'E-1', tsEvent: 11, venueOrderId: 'V-1' },
      { ...base, type: 'OrderSubmitted', clientOrderId: 'E-2', tsEvent: 12 },
      {
        ...base,
        type: 'OrderDenied',
        clientOrderId: 'E-3',
        tsEvent: 12,
        reason: 'MAX_NOTIONAL_EXCEEDED',
        message: 'x',
      },
      ...backtestFills(1).map((f) => ({ ...f, clientOrderId: 'E-1' })),
    ];
    expect(await history.orders.appendEvents(runId, events)).toEqual({ inserted: 5 });
    expect(await history.orders.appendEvents(runId, [...events].reverse())).toEqual({ inserted: 0 });
    expect(await history.orders.events(runId)).toEqual(events);
    expect(await history.orders.events(runId, 'E-1')).toEqual([events[0], events[1], events[4]]);
    const bad = [{ ...events[0], tsEvent: -1 }] as OrderEvent[];
    expect(await codeOf(history.orders.appendEvents(runId, bad))).toBe('INVALID_ARGUMENT');
  });

  it('keeps the newest snapshot of each order', async () => {
    const submitted = order();
    const filled = order({
      status: 'filled',
      venueOrderId: 'V-1',
      filledQty: 10,
      leavesQty: 0,
      avgPx: 3000.2,
      tradeIds: ['T-1', 'T-2'],
      tsLast: 2_000,
    });
    expect(
      await history.orders.upsert(runId, [submitted, order({ clientOrderId: 'O-2', tsInit: 1_500 })]),
    ).toEqual({
      inserted: 2,
    });
    await history.orders.upsert(runId, [filled]);
    await history.orders.upsert(runId, [submitted]); // late, older: ignored
    expect(await history.orders.get(runId, 'O-1')).toEqual(filled);
    expect(await history.orders.get(runId, 'nope')).toBeUndefined();
    const listed = await history.orders.list(runId);
    expect(listed.map((o) => o.clientOrderId)).toEqual(['O-1', 'O-2']);
    expect(listed[1]).toEqual(order({ clientOrderId: 'O-2', tsInit: 1_500 }));
    expect(await codeOf(history.orders.upsert(runId, [order({ quantity: Number.NaN })]))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('stores closed trades once', async () => {
    const trades = closedTrades();
    expect(await history.closedTrades.append(runId, trades)).toEqual({ inserted: 2 });
    expect(await history.closedTrades.append(runId, trades)).toEqual({ inserted: 0 });
    expect(await history.closedTrades.list(runId)).toEqual(trades);
    const bad = [{ ...trades[0], pnl: Number.POSITIVE_INFINITY }] as typeof trades;
    expect(await codeOf(history.closedTrades.append(runId, bad))).toBe('INVALID_ARGUMENT');
  });

  it('records runs with params and statistics, idempotently, and deletes them with their records', async () => {
    const created = await history.runs.create({
      runId: 'run-fixed',
      strategyId: 'rsi',
      mode: 'paper',
      params: { period: 14 },
      meta: { data: 'SPX 2000-2020' },
      startedAt: Date.UTC(2024, 0, 1),
    });
    expect(created).toEqual({
      runId: 'run-fixed',
      strategyId: 'rsi',
      mode: 'paper',
      status: 'running',
      params: { period: 14 },
      stats: undefined,
      meta: { data: 'SPX 2000-2020' },
      startedAt: Date.UTC(2024, 0, 1),
      finishedAt: undefined,
    });
    expect(await history.runs.create({ runId: 'run-fixed', strategyId: 'other' })).toEqual(created);
    const stats = { totalReturn: 0.1234, sharpe: 1.5, trades: 42, profitFactor: Number.POSITIVE_INFINITY };
    const finished = await history.runs.finish('run-fixed', { stats, finishedAt: Date.UTC(2024, 0, 2) });
    expect(finished.status).toBe('completed');
    expect(finished.stats).toEqual({ ...stats, profitFactor: null });
    expect(finished.finishedAt).toBe(Date.UTC(2024, 0, 2));
    expect((await history.runs.list({ strategyId: 'rsi' })).map((r) => r.runId)).toEqual(['run-fixed']);
    expect(await codeOf(history.runs.finish('missing', { stats }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(history.runs.create({ strategyId: '' }))).toBe('INVALID_ARGUMENT');

    await history.fills.append('run-fixed', backtestFills(3));
    expect(await history.runs.delete('run-fixed')).toBe(true);
    expect(await history.runs.delete('run-fixed')).toBe(false);
    expect(await history.fills.list('run-fixed')).toEqual([]);
  });
});
