import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import { defineInstrument } from '../model/instrument';
import { createOrder, type Order, type OrderRequest } from '../model/order';
import type { Fill } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import { StrategyBudgets } from './strategy-budgets';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);
const SPX = {
  id: 'SPX',
  pricePrecision: 2,
  quantityPrecision: 0,
  tickSize: 0.01,
  takerFee: 0.001,
  makerFee: 0.0005,
} as const;
const BUDGETS = { s1: 5_000, s2: 12_345.67 } as const;
const STRATEGIES = ['s1', 's2'] as const;

type Action =
  | { kind: 'bar'; open: number; low: number; high: number; volume: number }
  | { kind: 'buy'; strategy: 0 | 1; quantity: number; belowBp: number }
  | { kind: 'sell'; strategy: 0 | 1; share: number; aboveBp: number }
  | { kind: 'cancel'; index: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('bar' as const),
      open: fc.integer({ min: 9_000, max: 11_000 }),
      low: fc.integer({ min: 0, max: 600 }),
      high: fc.integer({ min: 0, max: 600 }),
      volume: fc.integer({ min: 1, max: 80 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('buy' as const),
      strategy: fc.constantFrom(0 as const, 1 as const),
      quantity: fc.integer({ min: 1, max: 60 }),
      belowBp: fc.integer({ min: -300, max: 500 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('sell' as const),
      strategy: fc.constantFrom(0 as const, 1 as const),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
      aboveBp: fc.integer({ min: -300, max: 500 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }) },
);

describe('strategy budgets (property)', () => {
  it('with limit orders, used + reserved never exceeds a budget; closing every order releases every reservation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 60 }), async (actions) => {
        const clock = new ManualClock(T0 - MIN);
        const engine = new TradingEngine({
          instruments: [SPX],
          accounts: [{ id: 'acc', initialCash: 1_000_000 }],
          clock,
          budgets: BUDGETS,
          venue: { maxVolumeShare: 0.5 },
        });
        await engine.start();
        let t = T0;
        let last = 100;
        const bar = (open: number, low: number, high: number, volume: number) => {
          clock.set(t);
          const o = open / 100;
          engine.processBar({
            symbol: 'SPX',
            ts: t,
            open: o,
            low: (open - low) / 100,
            high: (open + high) / 100,
            close: o,
            volume,
          });
          last = o;
          t += MIN;
        };
        bar(10_000, 0, 0, 1);
        const position = (s: string) => engine.strategyPositions(s, 'acc')[0]?.quantity ?? 0;
        const openSells = (s: string) =>
          engine
            .openOrders()
            .filter((o) => o.strategyId === s && o.side === 'sell')
            .reduce((n, o) => n + o.leavesQty, 0);
        // `last` moved by `bp` basis points, in whole cents.
        const px = (bp: number) => Math.max(0.01, Math.round((last * (10_000 + bp)) / 100) / 100);
        for (const a of actions) {
          if (a.kind === 'bar') bar(a.open, a.low, a.high, a.volume);
          else if (a.kind === 'buy') {
            const strategyId = STRATEGIES[a.strategy];
            const request = { instrumentId: 'SPX', side: 'buy', type: 'limit', strategyId };
            engine.submit({ ...request, quantity: a.quantity, price: px(-a.belowBp) } as OrderRequest);
          } else if (a.kind === 'sell') {
            // Long only: a sell never takes the strategy's position (its open sells counted) below zero.
            const strategyId = STRATEGIES[a.strategy];
            const quantity = Math.floor((position(strategyId) - openSells(strategyId)) * a.share);
            if (quantity > 0) {
              const request = { instrumentId: 'SPX', side: 'sell', type: 'limit', strategyId };
              engine.submit({ ...request, quantity, price: px(a.aboveBp) } as OrderRequest);
            }
          } else {
            const open = engine.openOrders();
            const victim = open[a.index % Math.max(1, open.length)];
            if (victim) engine.cancel(victim.clientOrderId);
          }
          for (const s of STRATEGIES) {
            const usage = engine.strategyBudget(s);
            // Minor units: exact integers.
            const used = Math.round((usage?.used ?? 0) * 100);
            const reserved = Math.round((usage?.reserved ?? 0) * 100);
            expect(reserved).toBeGreaterThanOrEqual(0);
            expect(used + reserved).toBeLessThanOrEqual(Math.round(BUDGETS[s] * 100));
          }
        }
        for (const o of engine.openOrders()) engine.cancel(o.clientOrderId);
        for (const s of STRATEGIES) expect(engine.strategyBudget(s)?.reserved).toBe(0);
        await engine.stop();
      }),
      { numRuns: 150 },
    );
  });

  it('the ledger: fills draw at most what is left, the close releases the rest, and draws + release = reservation', () => {
    const COIN = defineInstrument({ id: 'COIN', pricePrecision: 2, quantityPrecision: 3 });
    const step = fc.record({
      strategy: fc.constantFrom('a', 'b'),
      reserve: fc.integer({ min: 1, max: 10_000_000 }),
      fills: fc.array(
        fc.record({
          qty: fc.integer({ min: 1, max: 5_000 }),
          px: fc.integer({ min: 1, max: 100_000 }),
          fee: fc.integer({ min: 0, max: 500 }),
        }),
        { maxLength: 6 },
      ),
      closeAfter: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const ledger = new StrategyBudgets({ a: 1, b: 1 });
        const open: {
          order: Order;
          reserved: number;
          drawn: number;
          fills: { qty: number; px: number; fee: number }[];
        }[] = [];
        let n = 0;
        const total = (s: string) => ledger.reservedUnits('acc', s);
        const sum = (s: string) =>
          open
            .filter((x) => x.order.strategyId === s)
            .reduce((m, x) => m + ledger.orderReservedUnits(x.order.clientOrderId), 0);
        const close = (i: number) => {
          const [x] = open.splice(i, 1);
          if (!x) return;
          const s = x.order.strategyId;
          for (const f of x.fills) {
            const before = ledger.orderReservedUnits(x.order.clientOrderId);
            ledger.fill(fillOf(x.order, f));
            const drawn = before - ledger.orderReservedUnits(x.order.clientOrderId);
            // qty/1000 × px/100 in cents = qty × px / 1000, rounded half-even; + the fee in cents.
            const whole = Math.floor((f.qty * f.px) / 1000);
            const rest = (f.qty * f.px) % 1000;
            const notional = rest > 500 || (rest === 500 && whole % 2 === 1) ? whole + 1 : whole;
            expect(drawn).toBe(Math.min(before, notional + f.fee));
            x.drawn += drawn;
          }
          const left = ledger.orderReservedUnits(x.order.clientOrderId);
          const before = total(s);
          ledger.track({ ...x.order, status: 'canceled' } as Order);
          const released = before - total(s);
          expect(released).toBe(left);
          expect(x.drawn + released).toBe(x.reserved);
        };
        for (const st of steps) {
          const order = createOrder(
            { instrumentId: 'COIN', side: 'buy', type: 'limit', quantity: 1, price: 1 } as OrderRequest,
            {
              clientOrderId: `o${++n}`,
              accountId: 'acc',
              strategyId: st.strategy,
              quantityPrecision: 3,
              ts: 0,
            },
          );
          ledger.reserve(order, st.reserve, { instrument: COIN, currencyPrecision: 2 });
          open.push({ order, reserved: st.reserve, drawn: 0, fills: st.fills });
          if (open.length > 0) close(st.closeAfter % (open.length + 2));
          for (const s of ['a', 'b']) expect(total(s)).toBe(sum(s));
        }
        while (open.length > 0) close(0);
        expect(total('a')).toBe(0);
        expect(total('b')).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

function fillOf(order: Order, f: { qty: number; px: number; fee: number }): Fill {
  return {
    type: 'OrderFilled',
    clientOrderId: order.clientOrderId,
    accountId: order.accountId,
    strategyId: order.strategyId,
    instrumentId: order.instrumentId,
    tsEvent: 0,
    venueOrderId: 'v',
    tradeId: `t-${order.clientOrderId}-${f.qty}-${f.px}`,
    side: 'buy',
    lastQty: f.qty / 1000,
    lastPx: f.px / 100,
    fee: f.fee / 100,
    feeCurrency: 'USD',
    liquiditySide: 'maker',
  };
}
