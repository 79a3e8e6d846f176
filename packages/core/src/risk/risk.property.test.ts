import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TradingEngine } from '../engine/trading-engine';
import type { Order } from '../model/order';
import { createRiskRule, type RiskLimits } from './rules';
import { riskHarness, SPX } from './test-support';

const NDX = { ...SPX, id: 'NDX' };
const SYMBOLS = ['SPX', 'NDX'] as const;

type Action =
  | { kind: 'bar'; symbol: (typeof SYMBOLS)[number]; cents: number }
  | {
      kind: 'order';
      symbol: (typeof SYMBOLS)[number];
      side: 'buy' | 'sell';
      type: 'market' | 'limit';
      quantity: number;
      offsetBp: number;
    }
  | { kind: 'cancel'; index: number };

const actionArb = (types: readonly ('market' | 'limit')[], maxQty: number): fc.Arbitrary<Action> =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('bar' as const),
        symbol: fc.constantFrom(...SYMBOLS),
        cents: fc.integer({ min: 5_000, max: 15_000 }),
      }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('order' as const),
        symbol: fc.constantFrom(...SYMBOLS),
        side: fc.constantFrom('buy' as const, 'sell' as const),
        type: fc.constantFrom(...types),
        quantity: fc.integer({ min: 1, max: maxQty }),
        offsetBp: fc.integer({ min: -300, max: 300 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }) },
  );

const actionsArb = (types: readonly ('market' | 'limit')[] = ['market', 'limit'], maxQty = 30) =>
  fc.array(actionArb(types, maxQty), { minLength: 5, maxLength: 60, size: 'max' });

/** Any subset of the limits, with values that bind often at prices 50..150. */
const limitsArb = fc.record(
  {
    maxOrderQuantity: fc.integer({ min: 5, max: 40 }),
    maxOrderNotional: fc.integer({ min: 500, max: 5_000 }),
    maxPosition: fc.integer({ min: 5, max: 80 }),
    maxGrossExposure: fc.integer({ min: 1_000, max: 15_000 }),
    maxNetExposure: fc.integer({ min: 1_000, max: 15_000 }),
    maxOpenOrders: fc.integer({ min: 1, max: 6 }),
    orderRate: fc.record({
      limit: fc.integer({ min: 1, max: 6 }),
      intervalMs: fc.constantFrom(20_000, 60_000, 120_000),
    }),
  },
  { requiredKeys: [] },
);

/** Applies one action; returns the submitted order, if any. */
function apply(
  h: Awaited<ReturnType<typeof riskHarness>>,
  action: Action,
): { order?: Order; canceled?: boolean } {
  switch (action.kind) {
    case 'bar': {
      h.tick(action.cents / 100, 20_000, action.symbol);
      return {};
    }
    case 'order': {
      const last = h.engine.lastPrice(action.symbol);
      const reference = Number.isNaN(last) ? 100 : last;
      const price = Math.round(reference * (10_000 + action.offsetBp)) / 10_000;
      const order = h.send({
        instrumentId: action.symbol,
        side: action.side,
        type: action.type,
        quantity: action.quantity,
        ...(action.type === 'limit' ? { price: Math.max(0.01, Math.round(price * 100) / 100) } : {}),
      });
      return { order };
    }
    case 'cancel': {
      const open = h.engine.openOrders();
      if (open.length === 0) return {};
      const target = open[action.index % open.length] as Order;
      return { canceled: h.engine.cancel(target.clientOrderId) };
    }
  }
}

const position = (engine: TradingEngine, symbol: string): number =>
  engine.positions('acc').find((p) => p.instrumentId === symbol)?.quantity ?? 0;

/** An engine with SPX and NDX priced at 100, `acc` with 1,000,000 and the given limits. */
async function harness(rules: RiskLimits | undefined) {
  const h = await riskHarness({
    instruments: [SPX, NDX],
    accounts: [{ id: 'acc', initialCash: 1_000_000 }],
    ...(rules ? { rules: [createRiskRule({ accounts: { acc: rules } })] } : {}),
  });
  h.tick(100, 0, 'SPX');
  h.tick(100, 20_000, 'NDX');
  return h;
}

const RUNS = { numRuns: 150 };

describe('risk properties over random sequences of orders, cancels and prices', () => {
  it('HALTED lets nothing but cancels through', async () => {
    await fc.assert(
      fc.asyncProperty(actionsArb(), actionsArb(), async (before, after) => {
        const h = await harness(undefined);
        for (const a of before) apply(h, a);
        h.engine.setTradingState('HALTED', { reason: 'property' });
        const submittedBefore = h.events.filter((e) => e.type === 'OrderSubmitted').length;
        for (const a of after) {
          const openBefore = h.engine.openOrders().length;
          const { order, canceled } = apply(h, a);
          if (order) {
            expect(order.status).toBe('denied');
            expect(h.lastDenial()?.reason).toBe('TRADING_HALTED');
          }
          if (a.kind === 'cancel' && openBefore > 0) expect(canceled).toBe(true);
        }
        expect(h.events.filter((e) => e.type === 'OrderSubmitted').length).toBe(submittedBefore);
      }),
      RUNS,
    );
  });

  it('REDUCING never increases |position|, whatever is sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        actionsArb(['market', 'limit'], 12),
        actionsArb(['market', 'limit'], 12),
        async (before, after) => {
          const h = await harness(undefined);
          for (const a of before) apply(h, a);
          // Orders from before REDUCING may still grow the position; the state is entered clean.
          for (const o of h.engine.openOrders()) h.engine.cancel(o.clientOrderId);
          h.engine.setTradingState('REDUCING', { reason: 'property' });
          const signed = () => SYMBOLS.map((s) => position(h.engine, s));
          let previous = signed();
          for (const a of after) {
            const { order } = apply(h, a);
            if (order && order.status !== 'denied') {
              // Accepted only if it shrinks the position it was sent against.
              const held = position(h.engine, order.instrumentId);
              expect(held).not.toBe(0);
              expect(order.side === 'buy').toBe(held < 0);
            }
            const now = signed();
            for (let i = 0; i < now.length; i++) {
              const [was, is] = [previous[i] as number, now[i] as number];
              expect(Math.abs(is)).toBeLessThanOrEqual(Math.abs(was));
              expect(is * was).toBeGreaterThanOrEqual(0); // never through zero to the other side
            }
            previous = now;
          }
        },
      ),
      RUNS,
    );
  });

  it('no accepted order breaks a configured limit', async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, actionsArb(), async (limits, actions) => {
        const h = await harness(limits);
        const accepted: number[] = [];
        for (const a of actions) {
          const worstBefore = worstCase(h.engine);
          const { order } = apply(h, a);
          if (order && order.status !== 'denied') {
            accepted.push(order.tsInit);
            const reference = order.price ?? h.engine.lastPrice(order.instrumentId);
            if (limits.maxOrderQuantity !== undefined)
              expect(order.quantity).toBeLessThanOrEqual(limits.maxOrderQuantity);
            if (limits.maxOrderNotional !== undefined)
              expect(order.quantity * reference).toBeLessThanOrEqual(limits.maxOrderNotional + 1e-9);
            const worstAfter = worstCase(h.engine);
            // Either within the limit, or no worse than before (a reduction).
            for (const key of ['gross', 'net'] as const) {
              const max = key === 'gross' ? limits.maxGrossExposure : limits.maxNetExposure;
              if (max !== undefined && worstAfter[key] > max + 1e-6)
                expect(worstAfter[key]).toBeLessThanOrEqual(worstBefore[key] + 1e-6);
            }
          }
          // Invariants at every step, whatever the fills did.
          if (limits.maxOpenOrders !== undefined)
            expect(h.engine.openOrders().length).toBeLessThanOrEqual(limits.maxOpenOrders);
          if (limits.maxPosition !== undefined)
            for (const s of SYMBOLS)
              expect(Math.abs(position(h.engine, s))).toBeLessThanOrEqual(limits.maxPosition);
        }
        // Token bucket: at most a burst of `limit` plus `limit` per interval in any interval.
        const rate = limits.orderRate;
        if (rate !== undefined) {
          for (const ts of accepted) {
            const inWindow = accepted.filter((t) => t >= ts && t < ts + rate.intervalMs).length;
            expect(inWindow).toBeLessThanOrEqual(2 * rate.limit);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a cash account with requireCash never goes below zero cash (limit orders)', async () => {
    await fc.assert(
      fc.asyncProperty(actionsArb(['limit']), async (actions) => {
        const h = await riskHarness({
          instruments: [SPX, NDX],
          accounts: [{ id: 'acc', initialCash: 10_000 }],
          rules: [createRiskRule({ accounts: { acc: { requireCash: true, allowShort: false } } })],
        });
        for (const a of actions) {
          apply(h, a);
          expect(h.engine.account('acc').cash).toBeGreaterThanOrEqual(0);
          for (const s of SYMBOLS) expect(position(h.engine, s)).toBeGreaterThanOrEqual(0);
        }
      }),
      RUNS,
    );
  });
});

/** Independent worst-case gross and net exposure of `acc` at the last prices (all open orders of one side filled). */
function worstCase(engine: TradingEngine): { gross: number; net: number } {
  let gross = 0;
  let upper = 0;
  let lower = 0;
  for (const symbol of SYMBOLS) {
    const price = engine.lastPrice(symbol);
    const held = position(engine, symbol);
    const open = engine.openOrders().filter((o) => o.instrumentId === symbol);
    const buys = open.filter((o) => o.side === 'buy').reduce((s, o) => s + o.leavesQty, 0);
    const sells = open.filter((o) => o.side === 'sell').reduce((s, o) => s + o.leavesQty, 0);
    if (held === 0 && buys === 0 && sells === 0) continue;
    const px = Number.isNaN(price) ? 100 : price;
    gross += Math.max(Math.abs(held + buys), Math.abs(held - sells)) * px;
    upper += (held + buys) * px;
    lower += (held - sells) * px;
  }
  return { gross, net: Math.max(Math.abs(upper), Math.abs(lower)) };
}
