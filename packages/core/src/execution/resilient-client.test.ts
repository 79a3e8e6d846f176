import { type Observable, Subject } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isRxtradeError, RxtradeError } from '../errors';
import { createOrder, type Order } from '../model/order';
import type {
  ExecutionClient,
  OrderAmendment,
  OrderStatusReport,
  VenueEvent,
} from '../ports/execution-client';
import { createMemoryMetrics } from '../ports/metrics-sink';
import { createMemoryRateLimiter } from '../ports/rate-limiter';
import {
  type BreakerState,
  createResilientClient,
  submitOutcome,
  VenueCircuitBreakers,
} from './resilient-client';

type Behaviour = 'ok' | 'fail' | 'hang' | 'local' | 'refused';

/** An execution client whose every call does what the test says, and counts calls. */
class ScriptedClient implements ExecutionClient {
  readonly venue = 'TEST';
  readonly #events = new Subject<VenueEvent>();
  readonly events$: Observable<VenueEvent> = this.#events.asObservable();
  behaviour: Behaviour = 'ok';
  /** Behaviours for the next calls, used before `behaviour`. */
  readonly script: Behaviour[] = [];
  readonly calls: string[] = [];

  emit(event: VenueEvent): void {
    this.#events.next(event);
  }

  async call(name: string): Promise<void> {
    this.calls.push(name);
    const b = this.script.shift() ?? this.behaviour;
    if (b === 'fail') throw new Error(`${name} failed at the venue`);
    if (b === 'local') throw new RxtradeError({ code: 'INVALID_ARGUMENT', message: 'bad order' });
    if (b === 'hang') await new Promise(() => {});
    if (b === 'refused') {
      // Refused by the venue's own limit before it was sent (the client reports that itself).
      throw new RxtradeError({
        code: 'ADAPTER_FAILURE',
        message: 'RATE_LIMITED at the venue',
        details: { reason: 'RATE_LIMITED', outcome: 'NOT_SENT', retryable: false },
      });
    }
  }

  async connect(): Promise<void> {
    await this.call('connect');
  }
  async disconnect(): Promise<void> {}
  async submitOrder(_order: Order): Promise<void> {
    await this.call('submitOrder');
  }
  async cancelOrder(_order: Order): Promise<void> {
    await this.call('cancelOrder');
  }
  async queryOrder(clientOrderId: string): Promise<OrderStatusReport | undefined> {
    await this.call('queryOrder');
    return {
      clientOrderId,
      venueOrderId: 'V1',
      instrumentId: 'BTCUSDT',
      status: 'accepted',
      filledQty: 0,
      quantity: 1,
    };
  }
}

/** A scripted client that can also amend, recording what it was asked. */
class AmendingClient extends ScriptedClient {
  readonly amendments: { clientOrderId: string; amendment: OrderAmendment }[] = [];
  async modifyOrder(order: Order, amendment: OrderAmendment): Promise<void> {
    this.amendments.push({ clientOrderId: order.clientOrderId, amendment });
    await this.call('modifyOrder');
  }
}

let seq = 0;
function order(): Order {
  const o = createOrder(
    { instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 1 },
    { clientOrderId: `c-${++seq}`, accountId: 'acc', strategyId: 's', quantityPrecision: 0, ts: 0 },
  );
  return { ...o, status: 'submitted' };
}

const settle = async <T>(promise: Promise<T>): Promise<{ ok: boolean; error?: RxtradeError }> =>
  promise.then(
    () => ({ ok: true }),
    (error: unknown) => ({ ok: false, ...(isRxtradeError(error) ? { error } : {}) }),
  );

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ResilientExecutionClient: circuit breaker', () => {
  it('opens after N failures, rejects fast and typed while open, closes after a successful probe', async () => {
    const inner = new ScriptedClient();
    const metrics = createMemoryMetrics();
    const client = createResilientClient(inner, {
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 5_000 },
      retry: { maxAttempts: 1 },
      metrics,
    });
    const states: BreakerState[] = [];
    client.breakerState$.subscribe((s) => states.push(s));
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));

    inner.behaviour = 'fail';
    for (let i = 0; i < 3; i++) {
      const r = await settle(client.submitOrder(order()));
      expect(r.error?.details?.['outcome']).toBe('UNKNOWN');
    }
    expect(client.breaker.state).toBe('open');
    expect(metrics.value('circuit_breaker_state', { venue: 'TEST' })).toBe(2);

    // Open: refused without calling the venue, typed, and the order is settled as rejected.
    const callsBefore = inner.calls.length;
    const refused = order();
    const r = await settle(client.submitOrder(refused));
    expect(inner.calls.length).toBe(callsBefore);
    expect(r.error).toMatchObject({
      code: 'ADAPTER_FAILURE',
      details: { reason: 'CIRCUIT_OPEN', outcome: 'NOT_SENT' },
    });
    expect(submitOutcome(r.error)).toBe('NOT_SENT');
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'OrderRejected',
        clientOrderId: refused.clientOrderId,
        reason: 'CIRCUIT_OPEN',
      }),
    );
    // Reads are refused too, and not retried against an open breaker.
    await expect(client.queryOrder?.('x')).rejects.toMatchObject({ details: { reason: 'CIRCUIT_OPEN' } });
    expect(inner.calls.length).toBe(callsBefore);

    // After halfOpenAfter one probe goes through; it succeeds and the breaker closes.
    vi.advanceTimersByTime(5_000);
    inner.behaviour = 'ok';
    expect((await settle(client.submitOrder(order()))).ok).toBe(true);
    expect(inner.calls.length).toBe(callsBefore + 1);
    expect(client.breaker.state).toBe('closed');
    expect(states).toEqual(['closed', 'open', 'halfOpen', 'closed']);
    expect(metrics.value('circuit_breaker_state', { venue: 'TEST' })).toBe(0);
  });

  it('a failed probe opens it again', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, {
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 1_000 },
    });
    inner.behaviour = 'fail';
    await settle(client.submitOrder(order()));
    expect(client.breaker.state).toBe('open');
    vi.advanceTimersByTime(1_000);
    await settle(client.submitOrder(order()));
    expect(client.breaker.state).toBe('open');
    expect(inner.calls).toEqual(['submitOrder', 'submitOrder']);
  });

  it('is shared by every client of a venue through one registry', async () => {
    const breakers = new VenueCircuitBreakers({ breaker: { consecutiveFailures: 2 } });
    const a = new ScriptedClient();
    const b = new ScriptedClient();
    const clientA = createResilientClient(a, { breakers });
    const clientB = createResilientClient(b, { breakers });
    a.behaviour = 'fail';
    await settle(clientA.submitOrder(order()));
    await settle(clientA.submitOrder(order()));
    const r = await settle(clientB.submitOrder(order()));
    expect(r.error?.details?.['reason']).toBe('CIRCUIT_OPEN');
    expect(b.calls).toEqual([]);
  });

  it('does not count the caller’s own mistakes as venue failures', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, { breaker: { consecutiveFailures: 2 } });
    inner.behaviour = 'local';
    for (let i = 0; i < 5; i++) {
      const r = await settle(client.submitOrder(order()));
      expect(r.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { outcome: 'NOT_SENT' } });
    }
    expect(client.breaker.state).toBe('closed');
  });
});

describe('ResilientExecutionClient: submissions are never retried', () => {
  it('a timed-out submit is sent once, rejects with TIMEOUT, and stays unresolved until a venue event', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, { timeoutMs: 2_000, retry: { maxAttempts: 5 } });
    await client.connect();
    const unknown: string[] = [];
    client.unknownOutcomes$.subscribe((o) => unknown.push(o.clientOrderId));
    inner.script.push('hang');
    const o = order();
    const pending = settle(client.submitOrder(o));
    await vi.advanceTimersByTimeAsync(2_000);
    const r = await pending;
    expect(r.error).toMatchObject({ code: 'TIMEOUT', details: { outcome: 'UNKNOWN' } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(inner.calls.filter((c) => c === 'submitOrder')).toHaveLength(1);
    expect(unknown).toEqual([o.clientOrderId]);
    expect(client.unresolved().map((u) => u.clientOrderId)).toEqual([o.clientOrderId]);
    const { clientOrderId, accountId, strategyId, instrumentId } = o;
    inner.emit({
      type: 'OrderAccepted',
      clientOrderId,
      accountId,
      strategyId,
      instrumentId,
      tsEvent: 1,
      venueOrderId: 'V9',
    });
    expect(client.unresolved()).toEqual([]);
  });

  it('a submit failing in transit is sent once', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, { retry: { maxAttempts: 5, initialDelayMs: 1 } });
    inner.script.push('fail');
    const r = await settle(client.submitOrder(order()));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.error).toMatchObject({ code: 'ADAPTER_FAILURE', details: { outcome: 'UNKNOWN' } });
    expect(inner.calls).toEqual(['submitOrder']);
  });

  it('reads and cancels are retried on transient failures', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, { retry: { maxAttempts: 3, initialDelayMs: 10 } });
    inner.script.push('fail', 'fail');
    const query = client.queryOrder?.('c-1') as Promise<OrderStatusReport | undefined>;
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(query).resolves.toMatchObject({ clientOrderId: 'c-1' });
    expect(inner.calls).toEqual(['queryOrder', 'queryOrder', 'queryOrder']);

    inner.script.push('fail');
    const cancel = client.cancelOrder(order());
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(cancel).resolves.toBeUndefined();
    expect(inner.calls.filter((c) => c === 'cancelOrder')).toHaveLength(2);
  });

  it('gives up on a read after maxAttempts with the typed error', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, {
      retry: { maxAttempts: 2, initialDelayMs: 10 },
      breaker: { consecutiveFailures: 100 },
    });
    inner.behaviour = 'fail';
    const query = settle(client.queryOrder?.('c-1') as Promise<unknown>);
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await query).error).toMatchObject({ code: 'ADAPTER_FAILURE', details: { op: 'queryOrder' } });
    expect(inner.calls).toEqual(['queryOrder', 'queryOrder']);
  });
});

describe('ResilientExecutionClient: bulkhead', () => {
  it('refuses fast and typed beyond its limit and queue, and settles the refused order', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, { bulkhead: { limit: 1, queue: 0 }, timeoutMs: 1_000 });
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    inner.script.push('hang');
    const first = settle(client.submitOrder(order()));
    const second = order();
    const r = await settle(client.submitOrder(second));
    expect(r.error).toMatchObject({ details: { reason: 'BULKHEAD_FULL', outcome: 'NOT_SENT' } });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'OrderRejected',
        clientOrderId: second.clientOrderId,
        reason: 'BULKHEAD_FULL',
      }),
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await first).error?.code).toBe('TIMEOUT');
    expect(inner.calls).toEqual(['submitOrder']);
  });
});

describe('ResilientExecutionClient: order-rate limit', () => {
  it('refuses orders past the rate with RATE_LIMITED and an OrderRejected event', async () => {
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, {
      rateLimit: { venue: { ratePerSecond: 2, burst: 2 }, maxWaitMs: 0 },
    });
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    const results = await Promise.all([1, 2, 3, 4].map(() => settle(client.submitOrder(order()))));
    expect(results.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(results[2]?.error?.details?.['reason']).toBe('RATE_LIMITED');
    expect(events.filter((e) => e.type === 'OrderRejected')).toHaveLength(2);
    expect(inner.calls).toHaveLength(2);
    // Rate-limited refusals are not venue failures.
    expect(client.breaker.state).toBe('closed');
  });
});

describe('ResilientExecutionClient: shared rate limit', () => {
  it('takes each order from the shared limiter, waits within maxWaitMs, refuses RATE_LIMITED past it', async () => {
    const limiter = createMemoryRateLimiter({ buckets: { orders: { limit: 2, windowMs: 60_000 } } });
    const inner = new ScriptedClient();
    const client = createResilientClient(inner, { sharedRateLimit: { limiter, maxWaitMs: 0 } });
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    const results = await Promise.all([1, 2, 3].map(() => settle(client.submitOrder(order()))));
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[2]?.error?.details?.['reason']).toBe('RATE_LIMITED');
    expect(events.filter((e) => e.type === 'OrderRejected')).toHaveLength(1);
    expect(inner.calls).toHaveLength(2);
    expect(await limiter.tryAcquire({ orders: 1 })).toBeGreaterThan(0); // the two grants are the limiter's
    expect(client.breaker.state).toBe('closed');
  });

  it('holds a shared grant until the submission settles: the next order waits a window after it', async () => {
    const limiter = createMemoryRateLimiter({ buckets: { orders: { limit: 1, windowMs: 200 } } });
    const spans: Array<[number, number]> = [];
    class SlowVenue extends ScriptedClient {
      override async submitOrder(): Promise<void> {
        const start = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 250)); // a slow network: the venue sees it late
        spans.push([start, Date.now()]);
      }
    }
    const client = createResilientClient(new SlowVenue(), {
      sharedRateLimit: { limiter, maxWaitMs: 2_000 },
      timeoutMs: 5_000,
    });
    const both = Promise.all([client.submitOrder(order()), client.submitOrder(order())]);
    await vi.advanceTimersByTimeAsync(1_000);
    await both;
    const [first, second] = spans as [[number, number], [number, number]];
    expect(second[0] - first[1]).toBeGreaterThanOrEqual(180);
  });
});

describe('ResilientExecutionClient: amendments', () => {
  it('has modifyOrder only when the inner client has it, and passes the amendment through', async () => {
    expect(createResilientClient(new ScriptedClient()).modifyOrder).toBeUndefined();
    const inner = new AmendingClient();
    const client = createResilientClient(inner);
    const o = order();
    await client.modifyOrder?.(o, { quantity: 0.5, price: 100 });
    expect(inner.amendments).toEqual([
      { clientOrderId: o.clientOrderId, amendment: { quantity: 0.5, price: 100 } },
    ]);
  });

  it('retries an amendment on a transient failure (it sets absolute values)', async () => {
    const inner = new AmendingClient();
    const client = createResilientClient(inner, { retry: { maxAttempts: 3, initialDelayMs: 10 } });
    inner.script.push('fail');
    const amend = client.modifyOrder?.(order(), { quantity: 2 }) as Promise<void>;
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(amend).resolves.toBeUndefined();
    expect(inner.calls).toEqual(['modifyOrder', 'modifyOrder']);
  });

  it('a venue failure rejects typed and leaves the rejection event to the inner client', async () => {
    const inner = new AmendingClient();
    const client = createResilientClient(inner, {
      retry: { maxAttempts: 2, initialDelayMs: 10 },
      breaker: { consecutiveFailures: 100 },
    });
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    inner.behaviour = 'fail';
    const amend = settle(client.modifyOrder?.(order(), { quantity: 2 }) as Promise<void>);
    await vi.advanceTimersByTimeAsync(10_000);
    expect((await amend).error).toMatchObject({
      code: 'ADAPTER_FAILURE',
      details: { op: 'modifyOrder', outcome: 'UNKNOWN' },
    });
    expect(inner.calls).toEqual(['modifyOrder', 'modifyOrder']);
    expect(events).toEqual([]);
  });

  it('a timed-out amendment rejects TIMEOUT with an unknown outcome and reports no rejection', async () => {
    const inner = new AmendingClient();
    const client = createResilientClient(inner, { timeoutMs: 1_000, retry: { maxAttempts: 1 } });
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    inner.script.push('hang');
    const amend = settle(client.modifyOrder?.(order(), { quantity: 2 }) as Promise<void>);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await amend).error).toMatchObject({ code: 'TIMEOUT', details: { outcome: 'UNKNOWN' } });
    expect(events).toEqual([]); // it may have been applied: the venue's event settles it
  });

  it('an amendment the inner client refused unsent is not reported a second time', async () => {
    const inner = new AmendingClient();
    const client = createResilientClient(inner);
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    inner.script.push('refused');
    const r = await settle(client.modifyOrder?.(order(), { quantity: 2 }) as Promise<void>);
    expect(r.error).toMatchObject({ details: { reason: 'RATE_LIMITED', outcome: 'NOT_SENT' } });
    expect(inner.calls).toEqual(['modifyOrder']);
    expect(events).toEqual([]);
  });

  it('refused with the breaker open: not sent, typed, and reported as OrderModifyRejected', async () => {
    const inner = new AmendingClient();
    const client = createResilientClient(inner, {
      breaker: { consecutiveFailures: 1 },
      retry: { maxAttempts: 1 },
    });
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    inner.behaviour = 'fail';
    await settle(client.submitOrder(order()));
    expect(client.breaker.state).toBe('open');
    const o = order();
    const r = await settle(client.modifyOrder?.(o, { quantity: 2 }) as Promise<void>);
    expect(r.error).toMatchObject({
      code: 'ADAPTER_FAILURE',
      details: { reason: 'CIRCUIT_OPEN', outcome: 'NOT_SENT' },
    });
    expect(inner.calls).toEqual(['submitOrder']);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'OrderModifyRejected',
        clientOrderId: o.clientOrderId,
        reason: 'CIRCUIT_OPEN',
      }),
    ]);
  });

  it('counts against the order-rate limit; past it, refused RATE_LIMITED with OrderModifyRejected', async () => {
    const inner = new AmendingClient();
    const client = createResilientClient(inner, {
      rateLimit: { venue: { ratePerSecond: 2, burst: 2 }, maxWaitMs: 0 },
    });
    const events: VenueEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    expect((await settle(client.submitOrder(order()))).ok).toBe(true);
    expect((await settle(client.modifyOrder?.(order(), { quantity: 2 }) as Promise<void>)).ok).toBe(true);
    const o = order();
    const r = await settle(client.modifyOrder?.(o, { quantity: 3 }) as Promise<void>);
    expect(r.error).toMatchObject({ details: { reason: 'RATE_LIMITED', outcome: 'NOT_SENT' } });
    expect(inner.calls).toEqual(['submitOrder', 'modifyOrder']);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'OrderModifyRejected',
        clientOrderId: o.clientOrderId,
        reason: 'RATE_LIMITED',
      }),
    ]);
    expect(client.breaker.state).toBe('closed');
  });

  it('takes each amendment from the shared limiter', async () => {
    const limiter = createMemoryRateLimiter({ buckets: { orders: { limit: 2, windowMs: 60_000 } } });
    const inner = new AmendingClient();
    const client = createResilientClient(inner, { sharedRateLimit: { limiter, maxWaitMs: 0 } });
    const results = await Promise.all(
      [1, 2, 3].map(() => settle(client.modifyOrder?.(order(), { quantity: 2 }) as Promise<void>)),
    );
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    expect(results[2]?.error?.details?.['reason']).toBe('RATE_LIMITED');
    expect(inner.calls).toEqual(['modifyOrder', 'modifyOrder']);
  });
});
