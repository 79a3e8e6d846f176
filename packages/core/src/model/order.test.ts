import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRxtradeError, type RxtradeErrorCode } from '../errors';
import { fromUnits, toUnitsExact } from './decimal';
import {
  applyOrderEvent,
  applyOrderEventTo,
  createOrder,
  isOpen,
  nextStatus,
  ORDER_TRANSITIONS,
  type Order,
  type OrderRecord,
  OrderRequestSchema,
  type OrderStatus,
  snapshotOrder,
  TERMINAL_STATUSES,
} from './order';
import type { OrderEvent, OrderFilled } from './order-events';

const base = { clientOrderId: 'o-1', accountId: 'acc', strategyId: 'strat', instrumentId: 'SPX' } as const;

function newOrder(quantity: number, quantityPrecision: number): Order {
  return createOrder(
    { instrumentId: base.instrumentId, side: 'buy', type: 'limit', quantity, price: 100 },
    {
      clientOrderId: base.clientOrderId,
      accountId: base.accountId,
      strategyId: base.strategyId,
      quantityPrecision,
      ts: 1,
    },
  );
}

function event(type: Exclude<OrderEvent['type'], 'OrderFilled'>, tsEvent: number): OrderEvent {
  const b = { ...base, tsEvent };
  switch (type) {
    case 'OrderDenied':
      return { type, ...b, reason: 'RULE_DENIED', message: 'test' };
    case 'OrderRejected':
      return { type, ...b, reason: 'TEST', message: 'test' };
    case 'OrderAccepted':
      return { type, ...b, venueOrderId: 'V-1' };
    case 'OrderCancelRejected':
    case 'OrderModifyRejected':
      return { type, ...b, reason: 'TEST' };
    case 'OrderUpdated':
      return { type, ...b, quantity: 10 };
    default:
      return { type, ...b };
  }
}

function fill(tradeId: string, lastQty: number, tsEvent: number, lastPx = 100): OrderFilled {
  return {
    type: 'OrderFilled',
    ...base,
    tsEvent,
    venueOrderId: 'V-1',
    tradeId,
    side: 'buy',
    lastQty,
    lastPx,
    fee: 0,
    feeCurrency: 'USD',
    liquiditySide: 'maker',
  };
}

function deepFreeze(order: Order): Order {
  Object.freeze(order.tradeIds);
  return Object.freeze(order);
}

const NON_FILL_TYPES = [
  'OrderSubmitted',
  'OrderDenied',
  'OrderAccepted',
  'OrderRejected',
  'OrderTriggered',
  'OrderPendingCancel',
  'OrderCancelRejected',
  'OrderCanceled',
  'OrderExpired',
  'OrderModifyRejected',
] as const;

/** A step of a random event sequence. Fill sizes are relative to what is left, so overfills and exact completions both happen. */
type Step =
  | { readonly kind: 'event'; readonly type: (typeof NON_FILL_TYPES)[number] }
  | {
      readonly kind: 'fill';
      readonly tradeId: string;
      readonly size: 'rest' | 'part' | 'over' | 'any';
      readonly fraction: number;
      readonly px: number;
    };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom(...NON_FILL_TYPES).map((type) => ({ kind: 'event' as const, type })),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const),
      // A small pool of ids makes duplicates common.
      tradeId: fc.constantFrom('T1', 'T2', 'T3', 'T4', 'T5', 'T6'),
      size: fc.constantFrom('rest' as const, 'part' as const, 'over' as const, 'any' as const),
      fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      px: fc.integer({ min: 1, max: 1_000_000 }).map((c) => c / 100),
    }),
  },
);

/**
 * The life cycle as specified, written out independently of ORDER_TRANSITIONS so that an accidental
 * edit of the table fails this test: status → the events it accepts.
 */
const SPEC: Record<OrderStatus, readonly OrderEvent['type'][]> = {
  initialized: ['OrderDenied', 'OrderSubmitted', 'OrderAccepted', 'OrderRejected'],
  submitted: [
    'OrderAccepted',
    'OrderRejected',
    'OrderModifyRejected',
    'OrderPendingCancel',
    'OrderCanceled',
    'OrderExpired',
    'OrderFilled',
  ],
  accepted: [
    'OrderRejected',
    'OrderTriggered',
    'OrderPendingCancel',
    'OrderCanceled',
    'OrderExpired',
    'OrderFilled',
    'OrderUpdated',
    'OrderModifyRejected',
  ],
  triggered: [
    'OrderUpdated',
    'OrderModifyRejected',
    'OrderPendingCancel',
    'OrderCanceled',
    'OrderExpired',
    'OrderFilled',
  ],
  partiallyFilled: [
    'OrderUpdated',
    'OrderModifyRejected',
    'OrderPendingCancel',
    'OrderCanceled',
    'OrderExpired',
    'OrderFilled',
  ],
  pendingCancel: [
    'OrderCanceled',
    'OrderCancelRejected',
    'OrderExpired',
    'OrderFilled',
    'OrderModifyRejected',
  ],
  canceled: ['OrderFilled', 'OrderModifyRejected'],
  expired: ['OrderFilled', 'OrderModifyRejected'],
  filled: ['OrderModifyRejected'],
  denied: [],
  rejected: [],
};

const ALLOWED_ERRORS: ReadonlySet<RxtradeErrorCode> = new Set([
  'INVALID_STATE_TRANSITION',
  'DUPLICATE_FILL',
  'OVERFILL',
]);
const TERMINAL_NO_EVENTS: ReadonlySet<OrderStatus> = new Set(['denied', 'rejected']);
const ALL_STATUSES = Object.keys(ORDER_TRANSITIONS) as OrderStatus[];

function fillUnits(step: Extract<Step, { kind: 'fill' }>, filled: number, total: number): number {
  const rest = total - filled;
  switch (step.size) {
    case 'rest':
      return Math.max(1, rest);
    case 'part':
      return Math.max(1, Math.floor(step.fraction * rest));
    case 'over':
      return rest + 1 + Math.floor(step.fraction * total);
    case 'any':
      return 1 + Math.floor(step.fraction * 2 * total);
  }
}

describe('order state machine (property)', () => {
  it('keeps its invariants over random event sequences, including duplicates and overfills', () => {
    const seen = { transitions: new Set<string>(), errors: new Set<string>() };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.constantFrom(0, 3, 8),
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        (quantityUnits, precision, steps) => {
          const quantity = fromUnits(quantityUnits, precision);
          let order = deepFreeze(newOrder(quantity, precision));
          let filledUnits = 0; // the model
          const applied = new Set<string>();
          let ts = 1;
          for (const step of steps) {
            ts += 1;
            const ev =
              step.kind === 'event'
                ? event(step.type, ts)
                : fill(
                    step.tradeId,
                    fromUnits(fillUnits(step, filledUnits, quantityUnits), precision),
                    ts,
                    step.px,
                  );
            const lastUnits = ev.type === 'OrderFilled' ? toUnitsExact(ev.lastQty, precision) : 0;
            const allowed = nextStatus(order.status, ev.type);
            // What the model says must happen.
            const expectedError: RxtradeErrorCode | undefined = !SPEC[order.status].includes(ev.type)
              ? 'INVALID_STATE_TRANSITION'
              : ev.type === 'OrderFilled' && applied.has(ev.tradeId)
                ? 'DUPLICATE_FILL'
                : filledUnits + lastUnits > quantityUnits
                  ? 'OVERFILL'
                  : undefined;
            if (TERMINAL_NO_EVENTS.has(order.status)) expect(expectedError).toBe('INVALID_STATE_TRANSITION');
            const before = structuredClone(order);
            let next: Order;
            try {
              next = applyOrderEvent(order, ev);
            } catch (error) {
              expect(isRxtradeError(error), String(error)).toBe(true);
              const code = isRxtradeError(error) ? error.code : undefined;
              expect(code !== undefined && ALLOWED_ERRORS.has(code)).toBe(true);
              expect(code).toBe(expectedError);
              expect(order).toEqual(before);
              seen.errors.add(String(code));
              continue;
            }
            expect(expectedError).toBeUndefined();
            // The transition is in the table.
            expect(allowed).toBeDefined();
            expect(Object.hasOwn(ORDER_TRANSITIONS[order.status], ev.type)).toBe(true);
            seen.transitions.add(`${order.status}->${ev.type}`);
            // The previous order is untouched (it is frozen, and equal to its copy).
            expect(order).toEqual(before);
            // Quantities: exact in integer units.
            const nextFilled = toUnitsExact(next.filledQty, precision);
            const nextLeaves = toUnitsExact(next.leavesQty, precision);
            if (ev.type === 'OrderFilled') {
              filledUnits += lastUnits;
              applied.add(ev.tradeId);
              expect(next.tradeIds).toEqual([...order.tradeIds, ev.tradeId]);
              expect(next.status).toBe(filledUnits === quantityUnits ? 'filled' : allowed);
            } else {
              expect(next.tradeIds).toEqual(order.tradeIds);
              expect(next.filledQty).toBe(order.filledQty);
              if (ev.type === 'OrderCancelRejected') {
                // Back to where it was, unless it filled meanwhile.
                expect(next.status).toBe(filledUnits > 0 ? 'partiallyFilled' : order.previousStatus);
              } else {
                expect(next.status).toBe(allowed);
              }
            }
            expect(nextFilled).toBe(filledUnits);
            expect(nextFilled + nextLeaves).toBe(quantityUnits);
            expect(nextFilled).toBeLessThanOrEqual(quantityUnits);
            expect(nextLeaves).toBeGreaterThanOrEqual(0);
            expect(new Set(next.tradeIds).size).toBe(next.tradeIds.length);
            // A working order with fills says so.
            if (next.status === 'submitted' || next.status === 'accepted' || next.status === 'triggered') {
              expect(nextFilled).toBe(0);
            }
            if (next.status === 'partiallyFilled')
              expect(nextFilled > 0 && nextFilled < quantityUnits).toBe(true);
            if (next.status === 'filled') expect(nextFilled).toBe(quantityUnits);
            expect(next.tsLast).toBe(ts);
            order = deepFreeze(next);
          }
        },
      ),
      { numRuns: 3_000 },
    );
    // The generator reached the interesting places.
    expect([...seen.errors].sort()).toEqual(['DUPLICATE_FILL', 'INVALID_STATE_TRANSITION', 'OVERFILL']);
    for (const t of [
      'pendingCancel->OrderFilled',
      'pendingCancel->OrderCancelRejected',
      'canceled->OrderFilled',
      'partiallyFilled->OrderFilled',
      'submitted->OrderFilled',
    ]) {
      expect(seen.transitions.has(t), t).toBe(true);
    }
  });

  it('accepts nothing in denied and rejected; only a refused amendment in filled; only that and fills in canceled and expired', () => {
    for (const status of ALL_STATUSES) {
      expect(Object.keys(ORDER_TRANSITIONS[status]).sort(), status).toEqual([...SPEC[status]].sort());
      const allowed = Object.keys(ORDER_TRANSITIONS[status]);
      if (TERMINAL_NO_EVENTS.has(status)) expect(allowed, status).toEqual([]);
      if (status === 'filled') expect(allowed).toEqual(['OrderModifyRejected']);
      if (status === 'canceled' || status === 'expired')
        expect(allowed.sort(), status).toEqual(['OrderFilled', 'OrderModifyRejected']);
    }
  });
});

describe('order state machine (examples)', () => {
  const accepted = (quantity = 10, precision = 0): Order =>
    [event('OrderSubmitted', 2), event('OrderAccepted', 3)].reduce(
      applyOrderEvent,
      newOrder(quantity, precision),
    );

  it('partially fills, then fills', () => {
    let order = accepted(1.5, 3);
    order = applyOrderEvent(order, fill('T1', 0.7, 4, 100));
    expect(order).toMatchObject({
      status: 'partiallyFilled',
      filledQty: 0.7,
      leavesQty: 0.8,
      tradeIds: ['T1'],
    });
    expect(order.avgPx).toBe(100);
    order = applyOrderEvent(order, fill('T2', 0.8, 5, 103));
    expect(order).toMatchObject({
      status: 'filled',
      filledQty: 1.5,
      leavesQty: 0,
      tradeIds: ['T1', 'T2'],
      tsLast: 5,
    });
    expect(order.avgPx).toBeCloseTo((0.7 * 100 + 0.8 * 103) / 1.5, 10);
    expect(isOpen(order)).toBe(false);
    expect(() => applyOrderEvent(order, fill('T3', 0.001, 6))).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_TRANSITION' }),
    );
  });

  it('refuses a duplicate trade id and an overfill, leaving the order as it was', () => {
    const order = applyOrderEvent(accepted(), fill('T1', 4, 4));
    expect(() => applyOrderEvent(order, fill('T1', 4, 5))).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_FILL' }),
    );
    expect(() => applyOrderEvent(order, fill('T2', 7, 5))).toThrow(
      expect.objectContaining({ code: 'OVERFILL' }),
    );
    expect(order).toMatchObject({ status: 'partiallyFilled', filledQty: 4, leavesQty: 6, tradeIds: ['T1'] });
  });

  it('goes back to the previous status when a cancel is rejected', () => {
    const pending = applyOrderEvent(accepted(), event('OrderPendingCancel', 4));
    expect(pending).toMatchObject({ status: 'pendingCancel', previousStatus: 'accepted' });
    const back = applyOrderEvent(pending, event('OrderCancelRejected', 5));
    expect(back).toMatchObject({ status: 'accepted', previousStatus: undefined, tsLast: 5 });

    const partial = applyOrderEvent(accepted(), fill('T1', 3, 4));
    const pending2 = applyOrderEvent(partial, event('OrderPendingCancel', 5));
    expect(applyOrderEvent(pending2, event('OrderCancelRejected', 6)).status).toBe('partiallyFilled');
  });

  it('is partially filled after a cancel is rejected if it filled while the cancel was pending', () => {
    let order = applyOrderEvent(accepted(), event('OrderPendingCancel', 4));
    order = applyOrderEvent(order, fill('T1', 3, 5));
    expect(order).toMatchObject({ status: 'pendingCancel', filledQty: 3 });
    order = applyOrderEvent(order, event('OrderCancelRejected', 6));
    expect(order).toMatchObject({ status: 'partiallyFilled', filledQty: 3, leavesQty: 7 });
  });

  it('counts a late fill after the cancel, and stays canceled', () => {
    let order = applyOrderEvent(accepted(), fill('T1', 2, 4));
    order = applyOrderEvent(order, event('OrderCanceled', 5));
    expect(isOpen(order)).toBe(false);
    order = applyOrderEvent(order, fill('T2', 3, 6));
    expect(order).toMatchObject({ status: 'canceled', filledQty: 5, leavesQty: 5, tradeIds: ['T1', 'T2'] });
    expect(() => applyOrderEvent(order, fill('T2', 1, 7))).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_FILL' }),
    );
    expect(() => applyOrderEvent(order, event('OrderAccepted', 7))).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_TRANSITION' }),
    );
  });

  it('refuses a denied order anything', () => {
    const denied = applyOrderEvent(newOrder(10, 0), event('OrderDenied', 2));
    for (const type of NON_FILL_TYPES) {
      expect(() => applyOrderEvent(denied, event(type, 3)), type).toThrow(
        expect.objectContaining({ code: 'INVALID_STATE_TRANSITION' }),
      );
    }
    expect(() => applyOrderEvent(denied, fill('T1', 1, 3))).toThrow(
      expect.objectContaining({ code: 'INVALID_STATE_TRANSITION' }),
    );
  });
});

describe('order records (the engine applies events in place)', () => {
  it('nextStatus knows only the table: no answer for an unknown status or for Object.prototype names', () => {
    expect(nextStatus('accepted', 'OrderFilled')).toBe('partiallyFilled');
    expect(nextStatus('filled', 'toString' as OrderEvent['type'])).toBeUndefined();
    expect(nextStatus('constructor' as OrderStatus, 'OrderFilled')).toBeUndefined();
  });

  it('isOpen is true exactly for the statuses that are neither terminal nor initialized', () => {
    for (const status of Object.keys(ORDER_TRANSITIONS) as OrderStatus[]) {
      const order = { ...newOrder(1, 0), status };
      expect([status, isOpen(order)]).toEqual([
        status,
        !TERMINAL_STATUSES.has(status) && status !== 'initialized',
      ]);
    }
  });

  it('applyOrderEventTo gives the state applyOrderEvent returns, and a refused event leaves the record as it was', () => {
    const record = snapshotOrder(newOrder(10, 0)) as OrderRecord;
    let pure: Order = newOrder(10, 0);
    const fill = (tradeId: string, lastQty: number): OrderFilled => ({
      type: 'OrderFilled',
      ...base,
      tsEvent: 5,
      venueOrderId: 'V-1',
      tradeId,
      side: 'buy',
      lastQty,
      lastPx: 100,
      fee: 0,
      feeCurrency: 'USD',
      liquiditySide: 'maker',
    });
    for (const e of [event('OrderSubmitted', 2), event('OrderAccepted', 3), fill('t1', 4)]) {
      applyOrderEventTo(record, e);
      pure = applyOrderEvent(pure, e);
      expect(record).toEqual(pure);
    }
    const before = snapshotOrder(record);
    for (const refused of [fill('t1', 1), fill('t2', 7), event('OrderSubmitted', 9)]) {
      expect(() => applyOrderEventTo(record, refused)).toThrow();
      expect(record).toEqual(before);
    }
  });
});

describe('order edges', () => {
  const errorOf = (fn: () => unknown): { code?: string; message?: string; details?: unknown } => {
    try {
      fn();
    } catch (error) {
      return isRxtradeError(error)
        ? { code: error.code, message: error.message, details: error.details }
        : {};
    }
    return {};
  };
  const submitted = (): Order => applyOrderEvent(newOrder(10, 0), event('OrderSubmitted', 2));
  const accepted = (): Order => applyOrderEvent(submitted(), event('OrderAccepted', 3));

  it('a request names the field that is wrong and why', () => {
    const issues = (request: object) =>
      OrderRequestSchema.safeParse(request).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    const req = { instrumentId: 'SPX', side: 'buy', quantity: 1 };
    expect(issues({ ...req, type: 'limit' })).toEqual(['price: required for limit']);
    expect(issues({ ...req, type: 'market', price: 1 })).toEqual(['price: not allowed for market']);
    expect(issues({ ...req, type: 'stop' })).toEqual(['triggerPrice: required for stop']);
    expect(issues({ ...req, type: 'limit', price: 1, triggerPrice: 1 })).toEqual([
      'triggerPrice: not allowed for limit',
    ]);
    expect(issues({ ...req, type: 'market', postOnly: true })).toEqual([
      'postOnly: only limit orders can be post-only',
    ]);
    expect(issues({ ...req, type: 'market', quantity: 0 })).toEqual([
      'quantity: must be a finite number > 0',
    ]);
  });

  it('the venue order id comes with the acceptance, or with the first fill of an order never acknowledged', () => {
    expect(accepted().venueOrderId).toBe('V-1');
    expect(applyOrderEvent(accepted(), { ...fill('T1', 1, 4), venueOrderId: 'V-other' }).venueOrderId).toBe(
      'V-1',
    );
    expect(applyOrderEvent(submitted(), { ...fill('T1', 1, 4), venueOrderId: 'V-9' }).venueOrderId).toBe(
      'V-9',
    );
  });

  it('refuses a fill without a positive quantity on the grid or without a positive finite price', () => {
    for (const [lastQty, lastPx] of [
      [0, 100],
      [-1, 100],
      [0.5, 100], // off the whole-unit grid of this order
      [1, 0],
      [1, -1],
      [1, Number.NaN],
      [1, Number.POSITIVE_INFINITY],
    ] as const) {
      expect(errorOf(() => applyOrderEvent(accepted(), fill('T1', lastQty, 4, lastPx)))).toEqual({
        code: 'INVALID_ARGUMENT',
        message: `fill T1 has an invalid quantity or price (${lastQty} @ ${lastPx})`,
        details: undefined,
      });
    }
  });

  it('duplicate, overfill, foreign and illegal events say what and which', () => {
    const once = applyOrderEvent(accepted(), fill('T1', 4, 4));
    expect(errorOf(() => applyOrderEvent(once, fill('T1', 1, 5)))).toEqual({
      code: 'DUPLICATE_FILL',
      message: 'trade T1 was already applied to order o-1',
      details: { clientOrderId: 'o-1', tradeId: 'T1' },
    });
    expect(errorOf(() => applyOrderEvent(once, fill('T2', 7, 5)))).toEqual({
      code: 'OVERFILL',
      message: 'fill T2 of 7 would overfill order o-1 (4 of 10 filled)',
      details: { clientOrderId: 'o-1', tradeId: 'T2' },
    });
    expect(errorOf(() => applyOrderEvent(once, { ...fill('T3', 1, 5), clientOrderId: 'o-2' }))).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'event for o-2 applied to order o-1',
      details: undefined,
    });
    expect(errorOf(() => applyOrderEvent(once, event('OrderSubmitted', 5)))).toEqual({
      code: 'INVALID_STATE_TRANSITION',
      message: 'order o-1: OrderSubmitted is not allowed in status partiallyFilled',
      details: { clientOrderId: 'o-1', status: 'partiallyFilled', event: 'OrderSubmitted' },
    });
  });

  it('a rejected cancel of an order that never recorded its status goes back to accepted', () => {
    const pending = {
      ...applyOrderEvent(accepted(), event('OrderPendingCancel', 4)),
      previousStatus: undefined,
    };
    expect(applyOrderEvent(pending, event('OrderCancelRejected', 5)).status).toBe('accepted');
  });

  it('a snapshot of an order with fills does not share their list', () => {
    const filled = applyOrderEvent(accepted(), fill('T1', 1, 4)) as OrderRecord;
    const copy = snapshotOrder(filled);
    filled.tradeIds.push('T2');
    expect(copy.tradeIds).toEqual(['T1']);
  });
});
