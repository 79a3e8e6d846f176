import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import { isRxtradeError } from '../errors';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import { createOrder, type Order, type OrderRequest } from '../model/order';
import type { Fill, OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';
import type { PreTradeContext, StrategyPositionView } from './pre-trade';
import { openingUnits, StrategyBudgets, strategyUsedUnits } from './strategy-budgets';

const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 2, 14, 30);

// Whole units, cents; taker 0.1 %, maker 0.05 %: a reservation takes the larger rate.
const SPX = {
  id: 'SPX',
  pricePrecision: 2,
  quantityPrecision: 0,
  tickSize: 0.01,
  takerFee: 0.001,
  makerFee: 0.0005,
} as const;

/** An engine with budget 10,000 for `s1`, 40 units of volume a bar and at most half of it filled per bar. */
async function desk(budgets: Record<string, number> = { s1: 10_000 }) {
  const clock = new ManualClock(T0 - MIN);
  const engine = new TradingEngine({
    instruments: [SPX],
    accounts: [{ id: 'acc', initialCash: 100_000 }],
    clock,
    budgets,
    venue: { maxVolumeShare: 0.5 },
  });
  const events: OrderEvent[] = [];
  engine.orderEvents$.subscribe((e) => events.push(e));
  await engine.start();
  let t = T0;
  const tick = (open: number, low = open, high = open, close = open): void => {
    clock.set(t);
    const b: Bar = { symbol: 'SPX', ts: t, open, high, low, close, volume: 40 };
    engine.processBar(b);
    t += MIN;
  };
  const send = (request: Partial<OrderRequest>): Order =>
    engine.submit({
      instrumentId: 'SPX',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      strategyId: 's1',
      ...request,
    } as OrderRequest);
  const usage = (strategyId = 's1') => engine.strategyBudget(strategyId);
  const denial = (o: Order) => {
    const e = events.findLast((x) => x.type === 'OrderDenied' && x.clientOrderId === o.clientOrderId);
    return e?.type === 'OrderDenied' ? { reason: e.reason, message: e.message } : undefined;
  };
  return { engine, events, tick, send, usage, denial };
}

describe('strategy budgets in the engine (hand-computed)', () => {
  it('reserves on submit, converts partial fills, releases on cancel, returns cost and realised PnL on close', async () => {
    const d = await desk();
    d.tick(100);
    expect(d.usage()).toEqual({
      strategyId: 's1',
      accountId: 'acc',
      budget: 10_000,
      used: 0,
      reserved: 0,
      available: 10_000,
    });
    // 50 × 99 = 4,950 + fee at the larger rate 0.1 % = 4.95 → 4,954.95 reserved.
    const a = d.send({ quantity: 50, price: 99 });
    expect(a.status).toBe('accepted');
    expect(d.usage()).toMatchObject({ used: 0, reserved: 4_954.95, available: 5_045.05 });
    // 51 × 99 = 5,049 + 5.049 → 5.05 (rounded up) = 5,054.05 > 5,045.05.
    const b = d.send({ quantity: 51, price: 99 });
    expect(b.status).toBe('denied');
    expect(d.denial(b)).toEqual({
      reason: 'STRATEGY_BUDGET_EXCEEDED',
      message: 'STRATEGY_BUDGET_EXCEEDED: needs 5,054.05 > 5,045.05 available of 10,000 (strategy s1)',
    });
    expect(d.usage()).toMatchObject({ reserved: 4_954.95 });
    // The bar reaches 99: 20 of 50 fill (half of 40) at 99, maker 0.05 % → 1,980 + 0.99.
    d.tick(100, 98, 100, 99);
    expect(d.engine.order(a.clientOrderId)?.filledQty).toBe(20);
    // 1,980.99 moved from reserved to used; available unchanged.
    expect(d.usage()).toMatchObject({ used: 1_980.99, reserved: 2_973.96, available: 5_045.05 });
    // Cancel: the rest of the reservation, 2,973.96, comes back exactly.
    d.engine.cancel(a.clientOrderId);
    expect(d.engine.order(a.clientOrderId)?.status).toBe('canceled');
    expect(d.usage()).toMatchObject({ used: 1_980.99, reserved: 0, available: 8_019.01 });
    // A sell that only reduces reserves nothing.
    const c = d.send({ side: 'sell', type: 'market', quantity: 20 });
    expect(c.status).toBe('accepted');
    expect(d.usage()).toMatchObject({ reserved: 0, available: 8_019.01 });
    // Sold 20 at 110 (taker 0.1 % = 2.20): cost 1,980 returns with 20 × 11 = 220 realised; fees 3.19 in all.
    d.tick(110);
    expect(d.usage()).toMatchObject({ used: -216.81, reserved: 0, available: 10_216.81 });
    // The boundary: 10,206.61 + 10.21 = 10,216.82 is a cent too much; 10,206.60 + 10.21 fits exactly.
    const over = d.send({ quantity: 1, price: 10_206.61 });
    expect(d.denial(over)?.reason).toBe('STRATEGY_BUDGET_EXCEEDED');
    const exact = d.send({ quantity: 1, price: 10_206.6 });
    expect(exact.status).toBe('accepted');
    expect(d.usage()).toMatchObject({ reserved: 10_216.81, available: 0 });
  });

  it('a realised loss shrinks the budget; fees are never returned', async () => {
    const d = await desk();
    d.tick(100);
    d.send({ type: 'market', quantity: 10 }); // reserves 1,000 + 1.00 at the last price 100
    expect(d.usage()).toMatchObject({ reserved: 1_001 });
    d.tick(100); // 10 at 100, taker 1.00: the reservation is drawn in full
    expect(d.usage()).toMatchObject({ used: 1_001, reserved: 0, available: 8_999 });
    d.send({ side: 'sell', type: 'market', quantity: 10 });
    d.tick(90); // 10 at 90: −100 realised, 0.90 fee
    expect(d.usage()).toMatchObject({ used: 101.9, reserved: 0, available: 9_898.1 });
  });

  it('releases on a venue reject and on an IOC cancel; a fill cheaper than reserved returns the difference', async () => {
    const d = await desk();
    d.tick(100);
    // Post-only at or through the next open: the venue rejects it.
    const rejected = d.send({ quantity: 10, price: 101, postOnly: true });
    expect(d.usage()).toMatchObject({ reserved: 1_011.01 });
    const ioc = d.send({ quantity: 10, price: 90, timeInForce: 'IOC' });
    expect(d.usage()).toMatchObject({ reserved: 1_911.91 });
    // A limit buy at 105 fills at the open 100: 1,000 + 1.00 drawn of 1,051.05; 50.05 released.
    const cheap = d.send({ quantity: 10, price: 105 });
    d.tick(100);
    expect(d.engine.order(rejected.clientOrderId)?.status).toBe('rejected');
    expect(d.engine.order(ioc.clientOrderId)?.status).toBe('canceled');
    expect(d.engine.order(cheap.clientOrderId)?.status).toBe('filled');
    expect(d.usage()).toMatchObject({ used: 1_001, reserved: 0, available: 8_999 });
  });

  it('an order that opens a short reserves like a buy; one that flips reserves only the part beyond zero', async () => {
    const d = await desk();
    d.tick(100);
    d.send({ type: 'market', quantity: 10 });
    d.tick(100); // long 10, used 1,001
    // Sell 15 against long 10: 5 open a short, at the limit 100 → 500 + 0.50.
    d.send({ side: 'sell', quantity: 15, price: 100 });
    expect(d.usage()).toMatchObject({ used: 1_001, reserved: 500.5 });
    // A second sell of 5 while the first works: position + open sells = −5 already, all 5 extend it.
    d.send({ side: 'sell', quantity: 5, price: 100 });
    expect(d.usage()).toMatchObject({ reserved: 1_001 });
  });

  it('a market fill above the price it was reserved at overdraws, and blocks new orders until it is back', async () => {
    const d = await desk();
    d.tick(100);
    d.send({ type: 'market', quantity: 90 }); // 9,000 + 9.00 reserved at 100
    d.tick(110, 110, 110, 110);
    // 20 fill at 110 (volume cap): 2,200 + 2.20 drawn of 9,009.
    expect(d.usage()).toMatchObject({ used: 2_202.2, reserved: 6_806.8, available: 991 });
    for (let i = 0; i < 3; i++) d.tick(110);
    // 80 filled at 110, 10 left: reserved 9,009 − 4 × 2,202.20 = 200.20; used 8,808.80.
    d.tick(110);
    // The last 10 cost 1,101.10 of the 200.20 left: 900.90 over the budget, released 0.
    expect(d.usage()).toMatchObject({ used: 9_909.9, reserved: 0, available: 90.1 });
    const next = d.send({ quantity: 1, price: 100 });
    expect(d.denial(next)?.reason).toBe('STRATEGY_BUDGET_EXCEEDED');
  });

  it('a market order before any price is PRICE_UNKNOWN; strategies without a budget are not limited', async () => {
    const d = await desk();
    const early = d.send({ type: 'market', quantity: 1 });
    expect(d.denial(early)).toEqual({
      reason: 'PRICE_UNKNOWN',
      message: 'PRICE_UNKNOWN: no last price to value a market order at (strategy s1)',
    });
    d.tick(100);
    const free = d.send({ strategyId: 'other', quantity: 500, price: 100 });
    expect(free.status).toBe('accepted');
    expect(d.usage('other')).toBeUndefined();
    expect(d.usage()).toMatchObject({ reserved: 0 });
  });

  it('the budget check comes after the grid and before the rules; a rule denial reserves nothing', async () => {
    const clock = new ManualClock(T0);
    const engine = new TradingEngine({
      instruments: [SPX],
      accounts: [{ id: 'acc', initialCash: 100_000 }],
      clock,
      budgets: { s1: 100 },
      rules: [() => ({ reason: 'RULE_DENIED', message: 'RULE_DENIED: no' })],
    });
    const events: OrderEvent[] = [];
    engine.orderEvents$.subscribe((e) => events.push(e));
    await engine.start();
    const base = { instrumentId: 'SPX', side: 'buy', type: 'limit', strategyId: 's1' } as const;
    engine.submit({ ...base, quantity: 1, price: 100.001 });
    engine.submit({ ...base, quantity: 2, price: 100 });
    engine.submit({ ...base, quantity: 0.5, price: 10 });
    engine.submit({ ...base, quantity: 1, price: 10 });
    const reasons = events.flatMap((e) => (e.type === 'OrderDenied' ? [e.reason] : []));
    expect(reasons).toEqual([
      'PRICE_OFF_TICK',
      'STRATEGY_BUDGET_EXCEEDED',
      'QUANTITY_OFF_LOT',
      'RULE_DENIED',
    ]);
    expect(engine.strategyBudget('s1')).toMatchObject({ reserved: 0, available: 100 });
  });

  it('refuses a budget that is not a finite amount > 0', () => {
    for (const budget of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      let error: unknown;
      try {
        new StrategyBudgets({ s1: budget });
      } catch (e) {
        error = e;
      }
      expect(isRxtradeError(error) && error.code).toBe('INVALID_CONFIG');
      expect(String((error as Error).message)).toMatch(/^invalid strategy budgets: .*s1/s);
    }
    expect(() => new StrategyBudgets({ s1: -1 })).toThrow(/must be a finite number > 0/);
    expect(new StrategyBudgets({ s1: 0.01 }).budget('s1')).toBe(0.01);
    expect(new StrategyBudgets({ s1: 5 }).budget('s2')).toBeUndefined();
  });
});

// ---- The ledger alone -------------------------------------------------------------------------

const COIN = defineInstrument({
  id: 'COIN',
  pricePrecision: 2,
  quantityPrecision: 3,
  takerFee: 0.002,
  makerFee: 0.001,
});

const book = (qtyUnits: number, costUnits = 0, feeUnits = 0, realizedUnits = 0): StrategyPositionView => ({
  instrument: COIN,
  qtyUnits,
  valueUnits: 0,
  markPxUnits: 0,
  costUnits,
  feeUnits,
  realizedUnits,
});

let seq = 0;
const order = (request: Partial<OrderRequest>, strategyId = 's1'): Order =>
  createOrder(
    { instrumentId: 'COIN', side: 'buy', type: 'limit', quantity: 1, price: 100, ...request } as OrderRequest,
    { clientOrderId: `o${++seq}`, accountId: 'acc', strategyId, quantityPrecision: 3, ts: 0 },
  );

function context(
  o: Order,
  world: { books?: Record<string, StrategyPositionView>; open?: Order[]; last?: number } = {},
): PreTradeContext {
  return {
    order: o,
    instrument: COIN,
    positionQty: 0,
    lastPrice: world.last ?? Number.NaN,
    account: {
      id: 'acc',
      currency: 'USD',
      currencyPrecision: 2,
      initialCashUnits: 0,
      cashUnits: 0,
      equityUnits: 0,
      positions: new Map(),
      strategyPositions: new Map(
        Object.entries(world.books ?? {}).map(([s, b]) => [s, new Map([['COIN', b]])]),
      ),
    },
    openOrders: new Map((world.open ?? []).map((x) => [x.clientOrderId, x])),
    market: { lastPrice: () => world.last ?? Number.NaN, instrument: () => COIN },
  };
}

describe('openingUnits', () => {
  it('counts only what extends the position beyond zero, after same-side open orders of the same strategy', () => {
    const sell = (q: number) => order({ side: 'sell', quantity: q });
    const buy = (q: number) => order({ quantity: q });
    expect(openingUnits(context(buy(1.5)))).toBe(1_500);
    expect(openingUnits(context(sell(1.5)))).toBe(1_500);
    expect(openingUnits(context(sell(1), { books: { s1: book(2_000) } }))).toBe(0);
    expect(openingUnits(context(sell(2), { books: { s1: book(2_000) } }))).toBe(0);
    expect(openingUnits(context(sell(3), { books: { s1: book(2_000) } }))).toBe(1_000);
    expect(openingUnits(context(buy(3), { books: { s1: book(-2_000) } }))).toBe(1_000);
    expect(openingUnits(context(buy(1), { books: { s1: book(2_000) } }))).toBe(1_000);
    // A book of another instrument is not this one's position.
    const other = { ...book(5_000), instrument: { ...COIN, id: 'OTHER' } };
    const elsewhere = context(sell(1));
    const books = new Map([['s1', new Map([['OTHER', other]])]]);
    expect(openingUnits({ ...elsewhere, account: { ...elsewhere.account, strategyPositions: books } })).toBe(
      1_000,
    );
    // Another strategy's book and orders are not this one's.
    expect(openingUnits(context(sell(1), { books: { s2: book(2_000) } }))).toBe(1_000);
    expect(openingUnits(context(buy(1), { open: [order({ side: 'sell', quantity: 5 }, 's1')] }))).toBe(1_000);
    expect(
      openingUnits(
        context(sell(1), { books: { s1: book(2_000) }, open: [order({ side: 'sell', quantity: 1.5 })] }),
      ),
    ).toBe(500);
    expect(
      openingUnits(
        context(sell(1), {
          books: { s1: book(2_000) },
          open: [order({ side: 'sell', quantity: 1.5 }, 's2')],
        }),
      ),
    ).toBe(0);
  });
});

describe('strategyUsedUnits', () => {
  it('is Σ |cost| + fees − realised over the strategy’s books', () => {
    const account = context(order({}), { books: { s1: book(-1_000, -10_000, 30, 250) } }).account;
    expect(strategyUsedUnits(account, 's1')).toBe(10_000 + 30 - 250);
    expect(strategyUsedUnits(account, 's2')).toBe(0);
  });
});

describe('the ledger', () => {
  const fill = (o: Order, lastQty: number, lastPx: number, fee: number): Fill => ({
    type: 'OrderFilled',
    clientOrderId: o.clientOrderId,
    accountId: o.accountId,
    strategyId: o.strategyId,
    instrumentId: o.instrumentId,
    tsEvent: 0,
    venueOrderId: 'v',
    tradeId: `t${++seq}`,
    side: o.side,
    lastQty,
    lastPx,
    fee,
    feeCurrency: 'USD',
    liquiditySide: 'maker',
  });

  it('reserves at limit, else trigger, else last price, with the larger fee rate rounded up', () => {
    const budgets = new StrategyBudgets({ s1: 1_000 });
    // 1.234 × 100 = 123.40; fee 0.2 % = 0.2468 → 0.25.
    expect(budgets.check(context(order({ quantity: 1.234, price: 100 })))).toBe(12_365);
    expect(
      budgets.check(
        context(order({ type: 'stop', quantity: 1.234, price: undefined, triggerPrice: 100 }), { last: 50 }),
      ),
    ).toBe(12_365);
    expect(
      budgets.check(context(order({ type: 'market', quantity: 1.234, price: undefined }), { last: 100 })),
    ).toBe(12_365);
    // Nothing opening: no price needed.
    expect(
      budgets.check(
        context(order({ side: 'sell', type: 'market', price: undefined }), { books: { s1: book(1_000) } }),
      ),
    ).toBe(0);
    expect(budgets.check(context(order({}, 'free')))).toBe(0);
  });

  it('holds a reservation until the order closes; fills draw their cost, at most what is left', () => {
    const budgets = new StrategyBudgets({ s1: 1_000 });
    const o = order({ quantity: 2, price: 100 }); // 200 + 0.40 = 20,040
    budgets.reserve(o, 20_040, { instrument: COIN, currencyPrecision: 2 });
    budgets.reserve(order({ quantity: 1 }, 's2'), 0, { instrument: COIN, currencyPrecision: 2 }); // nothing held for 0
    expect(budgets.reservedUnits('acc', 's1')).toBe(20_040);
    expect(budgets.reservedUnits('acc', 's2')).toBe(0);
    expect(budgets.reservedUnits('other', 's1')).toBe(0);
    budgets.fill(fill(o, 0.5, 99.99, 0.05)); // 49.995 → 50.00 (half-even on 4,999.5 → 5,000) + 0.05
    expect(budgets.orderReservedUnits(o.clientOrderId)).toBe(20_040 - 5_005);
    budgets.track({ ...o, status: 'partiallyFilled', leavesQty: 1.5 } as Order); // open: kept
    expect(budgets.reservedUnits('acc', 's1')).toBe(15_035);
    budgets.fill(fill(o, 1.5, 200, 0.6)); // 300.60 > 150.35 left: draws 150.35
    expect(budgets.reservedUnits('acc', 's1')).toBe(0);
    budgets.track({ ...o, status: 'filled', leavesQty: 0 } as Order);
    expect(budgets.orderReservedUnits(o.clientOrderId)).toBe(0);
    budgets.fill(fill(o, 1, 1, 0)); // after the end: nothing to draw
    budgets.track({ ...o, status: 'canceled' } as Order); // twice: harmless
    expect(budgets.reservedUnits('acc', 's1')).toBe(0);
  });

  it('usage and denial numbers are in the account currency', () => {
    const budgets = new StrategyBudgets({ s1: 300 });
    const books = { s1: book(1_000, 10_000, 20, 0) }; // used 100.20
    expect(budgets.usage(context(order({}), { books }).account, 's1')).toEqual({
      strategyId: 's1',
      accountId: 'acc',
      budget: 300,
      used: 100.2,
      reserved: 0,
      available: 199.8,
    });
    expect(budgets.usage(context(order({})).account, 'none')).toBeUndefined();
    // 2 × 100 = 200 + 0.40 > 199.80.
    expect(budgets.check(context(order({ quantity: 2, price: 100 }), { books }))).toEqual({
      reason: 'STRATEGY_BUDGET_EXCEEDED',
      message: 'STRATEGY_BUDGET_EXCEEDED: needs 200.4 > 199.8 available of 300 (strategy s1)',
    });
    expect(budgets.check(context(order({ quantity: 1.99, price: 100 }), { books }))).toBe(19_940);
    // The budget as configured, every decimal of it.
    const fine = new StrategyBudgets({ s1: 100.12345 });
    expect(fine.check(context(order({ quantity: 2, price: 100 })))).toMatchObject({
      message: 'STRATEGY_BUDGET_EXCEEDED: needs 200.4 > 100.12 available of 100.12345 (strategy s1)',
    });
  });
});
