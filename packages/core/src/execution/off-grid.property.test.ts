import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import { isRxtradeError } from '../errors';
import { toUnitsExact } from '../model/decimal';
import { defineInstrument, type InstrumentSpec } from '../model/instrument';
import type { Bar } from '../model/market-data';
import { createOrder, type Order, type OrderRequest } from '../model/order';
import { type OrderEvent, OrderEventSchema } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { VenueEvent } from '../ports/execution-client';
import { BaseStrategy } from '../strategy/base-strategy';
import { SimulatedVenue } from './simulated-venue';

/**
 * Issue #15, "no NaN, ever": whatever is asked of the engine or of the simulated venue directly —
 * fractions of a lot, huge and tiny amounts, negative zero, NaN, infinities, prices off the tick,
 * values of the wrong type — no event carries NaN or Infinity, and valid orders sent afterwards fill.
 */

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);
const SPECS: readonly InstrumentSpec[] = [
  // Whole shares, a 5-cent tick, at least 100 USD per order, fees on both sides.
  {
    id: 'SPX',
    pricePrecision: 2,
    quantityPrecision: 0,
    tickSize: 0.05,
    minNotional: 100,
    takerFee: 0.001,
    makerFee: 0.0005,
  },
  // A crypto-style grid: lots of 0.001, prices to the cent.
  { id: 'BTC', pricePrecision: 2, quantityPrecision: 8, lotSize: 0.001, takerFee: 0.001 },
];
const SYMBOLS = ['SPX', 'BTC'] as const;
const ACCOUNTS = ['a', 'b'] as const;
const PRICE = { SPX: 100, BTC: 30_000 } as const;

/** Numbers from every corner that has broken someone: fractions, huge, tiny, signed zero, non-finite. */
const weirdNumber: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.double({ min: 0, max: 100, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 50 }).map((n) => n + 0.5) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 50 }) },
  { weight: 2, arbitrary: fc.double({ min: 1e12, max: Number.MAX_VALUE, noNaN: true }) },
  { weight: 1, arbitrary: fc.double({ min: Number.MIN_VALUE, max: 1e-6, noNaN: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0.5,
      -0,
      0,
      -1,
      1e-12,
      1.0005,
      100.001,
      100.02,
      2 ** 53,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      Number.EPSILON,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ),
  },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(undefined, null, '1', true, {}) },
);

const weirdRequest = fc.record({
  instrumentId: fc.constantFrom(...SYMBOLS),
  side: fc.constantFrom('buy', 'sell', 'hold'),
  type: fc.constantFrom('market', 'limit', 'stop', 'stopLimit', 'iceberg'),
  quantity: weirdNumber,
  price: fc.oneof(weirdNumber, fc.constant(undefined)),
  triggerPrice: fc.oneof(weirdNumber, fc.constant(undefined)),
  timeInForce: fc.constantFrom('GTC', 'IOC', 'FOK', 'DAY', 'GTD'),
});

type Action =
  | { kind: 'weird'; account: string; request: Record<string, unknown>; leaves: unknown | 'same' }
  | { kind: 'valid'; account: string; symbol: (typeof SYMBOLS)[number]; side: 'buy' | 'sell'; lots: number }
  | { kind: 'bar'; ticks: number }
  | { kind: 'cancel'; index: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('weird' as const),
      account: fc.constantFrom(...ACCOUNTS),
      request: weirdRequest,
      leaves: fc.oneof(
        { weight: 5, arbitrary: fc.constant('same' as const) },
        { weight: 1, arbitrary: weirdNumber },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('valid' as const),
      account: fc.constantFrom(...ACCOUNTS),
      symbol: fc.constantFrom(...SYMBOLS),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      lots: fc.integer({ min: 1, max: 20 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('bar' as const), ticks: fc.integer({ min: -40, max: 40 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }) },
);

/** Every number in the value, nested objects included, is finite. */
function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return true;
  return Object.values(value).every(allFinite);
}

const validQuantity = (symbol: (typeof SYMBOLS)[number], lots: number): number =>
  symbol === 'SPX' ? lots + 1 : lots / 1000; // at least 100 USD on SPX

function bars(i: number, ticks: number): Bar[] {
  return SYMBOLS.map((symbol) => {
    const price = PRICE[symbol] + ticks * 0.05;
    return {
      symbol,
      ts: T0 + i * MIN,
      open: price,
      high: price + 1,
      low: price - 1,
      close: price,
      volume: 1e6,
    };
  });
}

/** Checks every event and that each valid market order filled whole by the bar after it, unless canceled first. */
function checkOutcome(
  events: readonly (VenueEvent | OrderEvent)[],
  valid: ReadonlyMap<string, number>,
  precision: (id: string) => number,
) {
  for (const event of events) {
    expect(allFinite(event), JSON.stringify(event)).toBe(true);
    expect(OrderEventSchema.safeParse(event).success, JSON.stringify(event)).toBe(true);
  }
  for (const [id, quantity] of valid) {
    const own = events.filter((e) => e.clientOrderId === id);
    const p = precision(id);
    const filled = own.reduce(
      (sum, e) => sum + (e.type === 'OrderFilled' ? toUnitsExact(e.lastQty, p) : 0),
      0,
    );
    const canceled = own.some((e) => e.type === 'OrderCanceled');
    expect(canceled || filled === toUnitsExact(quantity, p), `${id}: ${JSON.stringify(own)}`).toBe(true);
  }
}

describe('no NaN, ever: the simulated venue on its own', () => {
  it('rejects what does not fit, never emits a non-finite number, and keeps filling valid orders', () => {
    fc.assert(
      fc.property(fc.array(actionArb, { minLength: 1, maxLength: 40 }), (actions) => {
        const clock = new ManualClock(T0 - MIN);
        const instruments = SPECS.map(defineInstrument);
        const venue = new SimulatedVenue({ instruments, clock });
        const events: VenueEvent[] = [];
        venue.events$.subscribe((e) => events.push(e));
        const sent: Order[] = [];
        const valid = new Map<string, number>();
        const symbolOf = new Map<string, string>();
        let seq = 0;
        let barIndex = 0;
        const make = (account: string, request: Record<string, unknown>): Order => {
          const clientOrderId = `o${++seq}`;
          symbolOf.set(clientOrderId, String(request['instrumentId']));
          return createOrder(request as unknown as OrderRequest, {
            clientOrderId,
            accountId: account,
            strategyId: 's',
            quantityPrecision: 0,
            ts: clock.now(),
          });
        };
        const step = (action: Action): void => {
          switch (action.kind) {
            case 'weird': {
              const order = make(action.account, action.request);
              const sentOrder =
                action.leaves === 'same' ? order : { ...order, leavesQty: action.leaves as number };
              sent.push(sentOrder);
              venue.submitOrderSync(sentOrder);
              return;
            }
            case 'valid': {
              const quantity = validQuantity(action.symbol, action.lots);
              const order = make(action.account, {
                instrumentId: action.symbol,
                side: action.side,
                type: 'market',
                quantity,
              });
              valid.set(order.clientOrderId, quantity);
              sent.push(order);
              venue.submitOrderSync(order);
              return;
            }
            case 'bar':
              clock.set(T0 + barIndex * MIN);
              for (const b of bars(barIndex++, action.ticks)) venue.processBar(b);
              return;
            case 'cancel': {
              const order = sent[action.index % Math.max(1, sent.length)];
              if (order) venue.cancelOrderSync(order);
              return;
            }
          }
        };
        for (const action of actions) step(action);
        // Later valid orders, on every account and symbol, still fill.
        for (const account of ACCOUNTS) {
          for (const symbol of SYMBOLS) step({ kind: 'valid', account, symbol, side: 'buy', lots: 3 });
        }
        step({ kind: 'bar', ticks: 0 });
        const precision = (id: string): number => (symbolOf.get(id) === 'SPX' ? 0 : 8);
        checkOutcome(events, valid, precision);
        // Every order the venue refused was refused with a code.
        for (const e of events) if (e.type === 'OrderRejected') expect(e.reason).toMatch(/^[A-Z_]+$/);
      }),
      { numRuns: 400 },
    );
  });
});

/** Sends what the property hands it through its strategy context, on the next bar. */
class Sender extends BaseStrategy {
  queue: Record<string, unknown>[] = [];
  answers: string[] = [];
  override onBar(): void {
    for (const request of this.queue.splice(0)) {
      try {
        this.answers.push(this.submit(request as unknown as OrderRequest).status);
      } catch (error) {
        // A malformed request is refused with a typed error before it becomes an order.
        if (!isRxtradeError(error) || error.code !== 'INVALID_ARGUMENT') throw error;
        this.answers.push(error.code);
      }
    }
  }
}

describe('no NaN, ever: through the engine (API and strategy)', () => {
  it('denies or refuses what does not fit, never emits a non-finite number, and keeps filling valid orders', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 30 }), async (actions) => {
        const clock = new ManualClock(T0 - MIN);
        const sender = new Sender({ id: 'sender', accountId: 'a' });
        const engine = new TradingEngine({
          instruments: SPECS,
          accounts: ACCOUNTS.map((id) => ({ id, initialCash: 1_000_000 })),
          clock,
          strategies: [sender],
        });
        const events: OrderEvent[] = [];
        const others: unknown[] = [];
        engine.orderEvents$.subscribe((e) => events.push(e));
        engine.account$.subscribe((a) => others.push(a));
        engine.positions$.subscribe((p) => others.push(p.quantity === 0 ? { ...p, avgPx: 0 } : p));
        await engine.start();
        const valid = new Map<string, number>();
        const symbolOf = new Map<string, string>();
        let seq = 0;
        let barIndex = 0;
        let viaStrategy = false;
        const step = (action: Action): void => {
          switch (action.kind) {
            case 'weird': {
              const request = { ...action.request, accountId: action.account };
              // Alternate the two entry points: the API (zod) and a strategy (hand-written checks).
              viaStrategy = !viaStrategy;
              if (viaStrategy) {
                sender.queue.push(action.request);
                return;
              }
              try {
                const order = engine.submit({
                  ...request,
                  clientOrderId: `w${++seq}`,
                } as unknown as OrderRequest);
                expect(['denied', 'submitted', 'accepted', 'rejected']).toContain(order.status);
              } catch (error) {
                expect(isRxtradeError(error) && error.code).toBe('INVALID_ARGUMENT');
              }
              return;
            }
            case 'valid': {
              const quantity = validQuantity(action.symbol, action.lots);
              const clientOrderId = `v${++seq}`;
              const order = engine.submit({
                clientOrderId,
                accountId: action.account,
                instrumentId: action.symbol,
                side: action.side,
                type: 'market',
                quantity,
              });
              expect(order.status, JSON.stringify(order)).toBe('accepted');
              valid.set(clientOrderId, quantity);
              symbolOf.set(clientOrderId, action.symbol);
              return;
            }
            case 'bar':
              clock.set(T0 + barIndex * MIN);
              for (const b of bars(barIndex++, action.ticks)) engine.processBar(b);
              return;
            case 'cancel': {
              const ids = [...valid.keys()];
              const id = ids[action.index % Math.max(1, ids.length)];
              if (id !== undefined) engine.cancel(id);
              return;
            }
          }
        };
        for (const action of actions) step(action);
        step({ kind: 'bar', ticks: 0 });
        for (const account of ACCOUNTS) {
          for (const symbol of SYMBOLS) step({ kind: 'valid', account, symbol, side: 'buy', lots: 3 });
        }
        step({ kind: 'bar', ticks: 0 });
        checkOutcome(events, valid, (id) => (symbolOf.get(id) === 'SPX' ? 0 : 8));
        for (const e of events) {
          if (e.type === 'OrderDenied' || e.type === 'OrderRejected') expect(e.reason).toMatch(/^[A-Z_]+$/);
        }
        expect(others.filter((o) => !allFinite(o))).toEqual([]);
        for (const answer of sender.answers)
          expect(['denied', 'accepted', 'rejected', 'INVALID_ARGUMENT']).toContain(answer);
        await engine.stop();
      }),
      { numRuns: 200 },
    );
  });
});
