import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RxtradeError } from '../errors';
import type { Bar } from '../model/market-data';
import type { Order } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { ExecutionClient, VenueEvent } from '../ports/execution-client';
import type { Logger } from '../ports/logger';
import type { MetricsSink } from '../ports/metrics-sink';
import { OrderManager } from './order-manager';

const T0 = Date.UTC(2024, 0, 2);
const ids = (o: Order) => ({
  clientOrderId: o.clientOrderId,
  accountId: o.accountId,
  strategyId: o.strategyId,
  instrumentId: o.instrumentId,
});
const accepted = (o: Order): VenueEvent => ({
  type: 'OrderAccepted',
  ...ids(o),
  tsEvent: T0,
  venueOrderId: 'V',
});
const filled = (o: Order, tradeId: string, lastQty: number, echo: object = {}): VenueEvent => ({
  type: 'OrderFilled',
  ...ids(o),
  tsEvent: T0,
  venueOrderId: 'V',
  tradeId,
  side: o.side,
  lastQty,
  lastPx: 100,
  fee: 0,
  feeCurrency: 'USD',
  liquiditySide: 'taker',
  ...echo,
});

/** What was logged, as [level, fields, message]. */
function recordingLogger() {
  const lines: [string, Record<string, unknown>, string][] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message?: string): void => {
      lines.push([level, fields, message ?? '']);
    };
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger;
  logger.child = () => logger;
  return { logger, lines };
}

function recordingMetrics() {
  const counters: { name: string; help: string; added: number }[] = [];
  const metrics = {
    counter: (name: string, options: { help: string }) => {
      const c = { name, help: options.help, added: 0 };
      counters.push(c);
      return { add: () => void c.added++ };
    },
    gauge: () => ({ set() {} }),
    histogram: () => ({ observe() {} }),
  } as unknown as MetricsSink;
  return { metrics, counters };
}

/** An asynchronous client: events on events$, outcomes of submit and cancel set by the test. */
class AsyncClient implements ExecutionClient {
  readonly venue = 'A';
  readonly subject = new Subject<VenueEvent>();
  readonly events$ = this.subject.asObservable();
  readonly submitted: Order[] = [];
  readonly canceled: Order[] = [];
  submitError: unknown;
  cancelError: unknown;
  disconnects = 0;
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {
    this.disconnects++;
  }
  async submitOrder(order: Order): Promise<void> {
    this.submitted.push(order);
    if (this.submitError) throw this.submitError;
  }
  async cancelOrder(order: Order): Promise<void> {
    this.canceled.push(order);
    if (this.cancelError) throw this.cancelError;
  }
}

function setup(options: { retainClosedOrders?: number; execution?: ExecutionClient } = {}) {
  const execution = options.execution ?? new AsyncClient();
  const clock = new ManualClock(T0);
  const { logger, lines } = recordingLogger();
  const { metrics, counters } = recordingMetrics();
  const events: { type: string; status: string; changed: boolean; event: OrderEvent }[] = [];
  const orders = new OrderManager({
    execution,
    clock,
    logger,
    metrics,
    onEvent: (event, order, changed) =>
      events.push({ type: event.type, status: order.status, changed, event }),
    ...(options.retainClosedOrders === undefined ? {} : { retainClosedOrders: options.retainClosedOrders }),
  });
  let n = 0;
  const place = (quantity = 2): Order => {
    const order = orders.create(
      { instrumentId: 'SPX', side: 'buy', type: 'limit', price: 100, quantity },
      { clientOrderId: `o${++n}`, strategyId: 's', accountId: 'a' },
      0,
    );
    orders.send(order);
    return order;
  };
  return { orders, clock, lines, counters, events, place, execution };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('OrderManager over an asynchronous client', () => {
  it('sends a snapshot, reports OrderSubmitted as opening the order, and is not bar-driven', async () => {
    const { orders, events, place, execution } = setup();
    await orders.connect();
    expect(orders.barDriven).toBe(false);
    orders.processBar({} as Bar); // nothing to feed
    const order = place();
    const client = execution as AsyncClient;
    expect(client.submitted).toHaveLength(1);
    expect(client.submitted[0]).not.toBe(orders.get(order.clientOrderId));
    expect(client.submitted[0]).toMatchObject({ clientOrderId: 'o1', status: 'submitted' });
    expect(events.map((e) => [e.type, e.status, e.changed])).toEqual([['OrderSubmitted', 'submitted', true]]);
  });

  it('logs a failed submit: refused before sending, or with an unknown outcome', async () => {
    const { orders, lines, place, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient;
    client.submitError = new RxtradeError({
      code: 'NOT_CONNECTED',
      message: 'no',
      details: { outcome: 'NOT_SENT' },
    });
    place();
    client.submitError = new RxtradeError({
      code: 'TIMEOUT',
      message: 'lost',
      details: { outcome: 'UNKNOWN' },
    });
    place();
    client.submitError = new Error('socket closed');
    place();
    client.submitError = new RxtradeError({ code: 'TIMEOUT', message: 'no details' });
    place();
    await settle();
    expect(lines.map(([level, fields, message]) => [level, fields['clientOrderId'], message])).toEqual([
      ['error', 'o1', 'order submission refused before sending'],
      ['error', 'o2', 'order submission failed; outcome unknown until reconciled'],
      ['error', 'o3', 'order submission failed; outcome unknown until reconciled'],
      ['error', 'o4', 'order submission failed; outcome unknown until reconciled'],
    ]);
    const errors = lines.map(([, fields]) => fields['err'] as Error & { code?: string });
    expect(errors.map((e) => e.code ?? e.message)).toEqual([
      'NOT_CONNECTED',
      'TIMEOUT',
      'socket closed',
      'TIMEOUT',
    ]);
    // Left in flight, never resent.
    expect(client.submitted).toHaveLength(4);
    expect(orders.openOrders().map((o) => o.status)).toEqual([
      'submitted',
      'submitted',
      'submitted',
      'submitted',
    ]);
  });

  it('cancels through OrderPendingCancel at the clock’s time; refuses unknown and closed orders; logs a failed cancel', async () => {
    const { orders, clock, lines, events, place, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient;
    const order = place();
    client.subject.next(accepted(order));
    clock.advance(5_000);
    client.cancelError = new Error('venue down');
    expect(orders.cancel(order.clientOrderId)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'OrderPendingCancel',
      status: 'pendingCancel',
      changed: false,
    });
    expect(events.at(-1)?.event).toEqual({ type: 'OrderPendingCancel', ...ids(order), tsEvent: T0 + 5_000 });
    expect(client.canceled.map((o) => o.status)).toEqual(['pendingCancel']);
    await settle();
    expect(lines).toEqual([
      ['error', { err: client.cancelError, clientOrderId: 'o1' }, 'cancel request failed'],
    ]);
    expect(orders.cancel('nope')).toBe(false);
    client.subject.next({ type: 'OrderCanceled', ...ids(order), tsEvent: T0 });
    expect(orders.cancel(order.clientOrderId)).toBe(false);
    expect(client.canceled).toHaveLength(1);
  });

  it('counts and logs events for unknown orders, and applies a redelivered fill once', async () => {
    const { orders, lines, counters, events, place, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient;
    const ghost = {
      type: 'OrderAccepted',
      clientOrderId: 'ghost',
      accountId: 'a',
      strategyId: 's',
      instrumentId: 'SPX',
      tsEvent: T0,
      venueOrderId: 'V',
    } as VenueEvent;
    client.subject.next(ghost);
    expect(lines).toEqual([['warn', { event: ghost }, 'event for an unknown order ignored']]);
    expect(counters).toEqual([
      {
        name: 'unknown_order_events_total',
        help: 'Venue events for orders this engine does not know',
        added: 1,
      },
    ]);
    const order = place(3);
    client.subject.next(accepted(order));
    client.subject.next(filled(order, 'T1', 1));
    client.subject.next(filled(order, 'T1', 1));
    expect(lines.at(-1)).toEqual(['debug', { tradeId: 'T1' }, 'duplicate fill ignored']);
    expect(events.filter((e) => e.type === 'OrderFilled')).toHaveLength(1);
    expect(orders.order(order.clientOrderId)?.filledQty).toBe(1);
  });

  it('books a fill to the order’s own account, strategy and instrument when the venue echoes others', async () => {
    for (const echo of [{ accountId: 'x' }, { strategyId: 'x' }, { instrumentId: 'X' }]) {
      const { orders, lines, events, place, execution } = setup();
      await orders.connect();
      const client = execution as AsyncClient;
      const order = place(3);
      client.subject.next(accepted(order));
      const fill = filled(order, 'T1', 1, echo);
      client.subject.next(fill);
      expect(lines).toEqual([
        ['warn', { event: fill }, 'event ids differ from the order; booking it to the order'],
      ]);
      expect(events.at(-1)?.event).toEqual({ ...fill, ...ids(order) });
    }
  });

  it('delivers any event with the order’s own ids, so a venue’s wrong echo never reaches another strategy', async () => {
    const { orders, lines, events, place, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient;
    const order = place(3);
    const echo = { ...accepted(order), strategyId: 'someone-else', accountId: 'x' } as VenueEvent;
    client.subject.next(echo);
    expect(lines).toEqual([
      ['warn', { event: echo }, 'event ids differ from the order; booking it to the order'],
    ]);
    expect(events.at(-1)?.event).toEqual({ ...echo, ...ids(order) });
    // Matching ids: passed on as they came, nothing logged.
    const canceled = { ...accepted(order), type: 'OrderCanceled' } as VenueEvent;
    client.subject.next(canceled);
    expect(lines).toHaveLength(1);
    expect(events.at(-1)?.event).toBe(canceled);
  });

  it('retires a closed order once: a late event that changes nothing does not count against retention again', async () => {
    const { orders, place, execution } = setup({ retainClosedOrders: 2 });
    await orders.connect();
    const client = execution as AsyncClient;
    const [o1, o2] = [place(1), place(1)];
    client.subject.next(accepted(o1));
    client.subject.next(filled(o1, 'T1', 1));
    // A late amend refusal for the filled order: allowed, and the order stays filled.
    client.subject.next({ ...accepted(o1), type: 'OrderModifyRejected', reason: 'too late' } as VenueEvent);
    expect(orders.order('o1')?.status).toBe('filled');
    client.subject.next(accepted(o2));
    client.subject.next(filled(o2, 'T2', 1));
    expect(['o1', 'o2'].filter((id) => orders.has(id))).toEqual(['o1', 'o2']);
  });

  it('logs and drops an event the state machine refuses, and one whose listener throws', async () => {
    const { orders, lines, place, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient;
    const order = place(1);
    client.subject.next(accepted(order));
    client.subject.next(filled(order, 'T1', 1));
    const late = accepted(order);
    client.subject.next(late);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.[0]).toBe('error');
    expect(lines[0]?.[1]['event']).toBe(late);
    expect(lines[0]?.[1]['err']).toBeDefined();
    expect(lines[0]?.[2]).toBe('venue event could not be applied');
    expect(orders.order(order.clientOrderId)?.status).toBe('filled');

    const { logger, lines: thrown } = recordingLogger();
    const guarded = new OrderManager({
      execution: new AsyncClient(),
      clock: new ManualClock(T0),
      logger,
      onEvent: () => {
        throw new Error('listener broke');
      },
    });
    await guarded.connect();
    const o = guarded.create(
      { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 },
      { clientOrderId: 'g', strategyId: 's', accountId: 'a' },
      0,
    );
    expect(() => guarded.send(o)).toThrow('listener broke');
    const bad = accepted(o);
    (guarded.execution as AsyncClient).subject.next(bad);
    expect(
      thrown.map(([level, fields, message]) => [
        level,
        fields['event'],
        (fields['err'] as Error).message,
        message,
      ]),
    ).toEqual([['error', bad, 'listener broke', 'venue event could not be processed']]);
  });

  it('stops listening on disconnect, idempotently', async () => {
    const { orders, events, place, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient;
    const order = place();
    await orders.disconnect();
    await orders.disconnect();
    expect(client.disconnects).toBe(2);
    client.subject.next(accepted(order));
    expect(events.map((e) => e.type)).toEqual(['OrderSubmitted']);
  });

  it('without metrics, an event for an unknown order is still only counted to nowhere', () => {
    const orders = new OrderManager({
      execution: new AsyncClient(),
      clock: new ManualClock(T0),
      onEvent: () => {},
    });
    expect(() =>
      orders.applyVenueEvent({
        type: 'OrderAccepted',
        clientOrderId: 'ghost',
        accountId: 'a',
        strategyId: 's',
        instrumentId: 'SPX',
        tsEvent: T0,
        venueOrderId: 'V',
      } as VenueEvent),
    ).not.toThrow();
  });
});

describe('OrderManager records', () => {
  it('refuses a client order id in use with DUPLICATE_ORDER', () => {
    const { orders, place } = setup();
    place();
    let code: unknown;
    try {
      orders.create(
        { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 },
        { clientOrderId: 'o1', strategyId: 's', accountId: 'a' },
        0,
      );
    } catch (error) {
      code = (error as RxtradeError).code;
    }
    expect(code).toBe('DUPLICATE_ORDER');
  });

  it('adopts an order it did not create once, as its own copy', () => {
    const { orders, place } = setup();
    const mine = place();
    const external = { ...mine, clientOrderId: 'ext', status: 'accepted' } as Order;
    expect(orders.has('ext')).toBe(false);
    expect(orders.adopt(external)).toBe(true);
    expect(orders.adopt(external)).toBe(false);
    expect(orders.adopt(mine)).toBe(false);
    expect(orders.has('ext')).toBe(true);
    expect(orders.get('ext')).not.toBe(external);
    expect(orders.get('ext')).toEqual(external);
  });

  it('answers snapshots: order() a copy or undefined, openOrders() the open ones only', async () => {
    const { orders, place, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient;
    const a = place(1);
    const b = place(1);
    client.subject.next(accepted(a));
    client.subject.next(filled(a, 'T1', 1));
    expect(orders.order('nope')).toBeUndefined();
    const copy = orders.order(b.clientOrderId);
    expect(copy).toEqual(orders.get(b.clientOrderId));
    expect(copy).not.toBe(orders.get(b.clientOrderId));
    expect(orders.openOrders().map((o) => o.clientOrderId)).toEqual(['o2']);
  });

  it('keeps retainClosedOrders terminal orders for lookup, oldest dropped first; 0 keeps none', async () => {
    for (const [retain, kept] of [
      [0, ['o3']],
      [1, ['o2', 'o3']],
      [2, ['o1', 'o2', 'o3']],
    ] as const) {
      const { orders, place, execution } = setup({ retainClosedOrders: retain });
      await orders.connect();
      const client = execution as AsyncClient;
      const [o1, o2] = [place(1), place(1)];
      place(1);
      for (const o of [o1, o2]) {
        client.subject.next(accepted(o));
        client.subject.next(filled(o, `T-${o.clientOrderId}`, 1));
      }
      expect(['o1', 'o2', 'o3'].filter((id) => orders.has(id))).toEqual(kept);
    }
  });
});

describe('OrderManager: native OCO and amends', () => {
  it('sends a native OCO pair as one call, both submitted; refuses it on a client without submitOco; logs a failed call under both ids', async () => {
    const { orders, place, lines, execution } = setup();
    await orders.connect();
    const make = (id: string) =>
      orders.create(
        { instrumentId: 'SPX', side: 'sell', type: 'limit', price: 110, quantity: 1 },
        { clientOrderId: id, strategyId: 's', accountId: 'a' },
        0,
      );
    expect(() => orders.sendOco(make('x1'), make('x2'))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: 'A cannot place native OCO orders' }),
    );
    const pairs: (readonly [Order, Order])[] = [];
    let fail = false;
    (execution as AsyncClient & { submitOco?: ExecutionClient['submitOco'] }).submitOco = async (pair) => {
      pairs.push(pair);
      if (fail) throw new RxtradeError({ code: 'ADAPTER_FAILURE', message: 'venue down' });
    };
    const [a, b] = [make('tp'), make('sl')];
    orders.sendOco(a, b);
    expect(pairs.map((p) => p.map((o) => [o.clientOrderId, o.status]))).toEqual([
      [
        ['tp', 'submitted'],
        ['sl', 'submitted'],
      ],
    ]);
    expect(pairs[0]?.[0]).not.toBe(orders.get('tp')); // snapshots, not the records
    fail = true;
    orders.sendOco(make('tp2'), make('sl2'));
    await settle();
    expect(JSON.stringify(lines)).toContain('tp2+sl2');
    place();
  });

  it('amends through the client: false for an unknown or closed order; refused AMEND_NOT_SUPPORTED without modifyOrder; a failed request logged', async () => {
    const { orders, place, events, lines, execution } = setup();
    await orders.connect();
    const client = execution as AsyncClient & { modifyOrder?: ExecutionClient['modifyOrder'] };
    expect(orders.amend('nope', { price: 99 })).toBe(false);
    const order = place(2);
    client.subject.next(accepted(order));
    expect(orders.amend(order.clientOrderId, { price: 99 })).toBe(true);
    expect(events.at(-1)?.event).toMatchObject({
      type: 'OrderModifyRejected',
      ...ids(order),
      tsEvent: T0,
      reason: 'AMEND_NOT_SUPPORTED',
    });
    expect(orders.order(order.clientOrderId)?.status).toBe('accepted');
    const amended: [Order, unknown][] = [];
    client.modifyOrder = async (o, amendment) => {
      amended.push([o, amendment]);
      throw new RxtradeError({ code: 'ADAPTER_FAILURE', message: 'venue down' });
    };
    expect(orders.amend(order.clientOrderId, { quantity: 1 })).toBe(true);
    expect(amended.map(([o, a]) => [o.clientOrderId, a])).toEqual([[order.clientOrderId, { quantity: 1 }]]);
    expect(amended[0]?.[0]).not.toBe(orders.get(order.clientOrderId));
    await settle();
    expect(lines.at(-1)?.[2]).toBe('amend request failed');
    expect(lines.at(-1)?.[1]).toMatchObject({
      clientOrderId: order.clientOrderId,
      err: { message: 'venue down' },
    });
    client.subject.next(filled(order, 'T1', 2));
    expect(orders.amend(order.clientOrderId, { price: 98 })).toBe(false); // filled: nothing to amend
    expect(amended).toHaveLength(1);
  });

  it('hands a synchronous client its own record to amend', async () => {
    const calls: [Order, unknown][] = [];
    const client = Object.assign(new AsyncClient(), {
      submitOrderSync: () => {},
      cancelOrderSync: () => {},
      modifyOrderSync: (o: Order, a: unknown) => void calls.push([o, a]),
    });
    const { orders, place } = setup({ execution: client });
    await orders.connect();
    const order = place(1);
    expect(orders.amend(order.clientOrderId, { price: 101 })).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toBe(orders.get(order.clientOrderId));
    expect(calls[0]?.[1]).toEqual({ price: 101 });
  });
});

describe('OrderManager over a synchronous, bar-driven client with an event listener', () => {
  it('hands the record itself to submitOrderSync and cancelOrderSync, feeds bars, and removes its listener', async () => {
    const calls: string[] = [];
    let listener: ((event: VenueEvent) => void) | undefined;
    const client = {
      venue: 'S',
      events$: new Subject<VenueEvent>().asObservable(),
      connect: async () => {},
      disconnect: async () => {},
      submitOrder: async () => {},
      cancelOrder: async () => {},
      submitOrderSync: (order: Order) => calls.push(`submit ${order.clientOrderId} ${order === held()}`),
      cancelOrderSync: (order: Order) => calls.push(`cancel ${order.clientOrderId} ${order === held()}`),
      processBar: (bar: Bar) => calls.push(`bar ${bar.ts}`),
      addEventListener: (l: (event: VenueEvent) => void) => {
        listener = l;
        return () => {
          listener = undefined;
          calls.push('removed');
        };
      },
    };
    const { orders, events, place } = setup({ execution: client as unknown as ExecutionClient });
    const held = () => orders.get('o1');
    await orders.connect();
    expect(orders.barDriven).toBe(true);
    orders.processBar({ ts: 7 } as Bar);
    const order = place();
    listener?.(accepted(order));
    expect(orders.cancel('o1')).toBe(true);
    // A synchronous client reports the cancel itself: no OrderPendingCancel from the manager.
    expect(events.map((e) => e.type)).toEqual(['OrderSubmitted', 'OrderAccepted']);
    await orders.disconnect();
    expect(listener).toBeUndefined();
    expect(calls).toEqual(['bar 7', 'submit o1 true', 'cancel o1 true', 'removed']);
  });
});
