import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RxtradeError } from '../errors';
import { createOrder, type Order } from '../model/order';
import type { ExecutionClient } from '../ports/execution-client';
import { AsyncOrderExecutor } from './batch-executor';

const order = (id: string): Order =>
  createOrder(
    { instrumentId: 'X', side: 'buy', type: 'market', quantity: 1 },
    { clientOrderId: id, accountId: 'a', strategyId: 's', quantityPrecision: 0, ts: 0 },
  );

/** A client that fails some ids and records the most calls in flight at once. */
function client(
  fail: Record<string, 'unknown' | 'notSent'>,
): ExecutionClient & { sent: string[]; maxInFlight: number } {
  let inFlight = 0;
  const c = {
    venue: 'T',
    events$: NEVER,
    sent: [] as string[],
    maxInFlight: 0,
    async connect() {},
    async disconnect() {},
    async submitOrder(o: Order) {
      inFlight++;
      c.maxInFlight = Math.max(c.maxInFlight, inFlight);
      c.sent.push(o.clientOrderId);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      const f = fail[o.clientOrderId];
      if (f === 'unknown') throw new Error('socket hang up');
      if (f === 'notSent') {
        throw new RxtradeError({
          code: 'ADAPTER_FAILURE',
          details: { reason: 'CIRCUIT_OPEN', outcome: 'NOT_SENT' },
        });
      }
    },
    async cancelOrder() {},
  };
  return c;
}

describe('AsyncOrderExecutor', () => {
  it('sends concurrently within the bound and reports each order on its own', async () => {
    const c = client({ o3: 'unknown', o7: 'notSent' });
    const orders = Array.from({ length: 20 }, (_, i) => order(`o${i}`));
    const outcomes = await new AsyncOrderExecutor(c, { concurrency: 4 }).submitAll(orders);
    expect(outcomes.map((o) => o.clientOrderId)).toEqual(orders.map((o) => o.clientOrderId));
    expect(outcomes[3]).toMatchObject({ status: 'unknown', error: { code: 'ADAPTER_FAILURE' } });
    expect(outcomes[7]).toMatchObject({ status: 'notSent', error: { details: { reason: 'CIRCUIT_OPEN' } } });
    expect(outcomes.filter((o) => o.status === 'sent')).toHaveLength(18);
    expect(c.maxInFlight).toBe(4);
    expect(c.sent).toHaveLength(20);
  });

  it('sends a client order id repeated in the batch once', async () => {
    const c = client({});
    const outcomes = await new AsyncOrderExecutor(c).submitAll([order('a'), order('b'), order('a')]);
    expect(c.sent.sort()).toEqual(['a', 'b']);
    expect(outcomes[2]).toMatchObject({ status: 'notSent', error: { code: 'DUPLICATE_ORDER' } });
  });

  it('does not send what is left after the batch is aborted', async () => {
    const c = client({});
    const controller = new AbortController();
    controller.abort();
    const outcomes = await new AsyncOrderExecutor(c).submitAll([order('a'), order('b')], {
      signal: controller.signal,
    });
    expect(c.sent).toEqual([]);
    expect(outcomes.every((o) => o.status === 'notSent')).toBe(true);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => new AsyncOrderExecutor(client({}), { concurrency: 0 })).toThrow(/concurrency/);
  });
});
