import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import { defineInstrument, type Instrument } from '../model/instrument';
import { createOrder, type Order, type OrderRequest } from '../model/order';
import type { PreTradeContext, StrategyPositionView } from './pre-trade';
import { createRiskRule, type RiskRuleOptions } from './rules';

// Rules called directly on hand-built contexts: every branch of a limit, including states the
// engine reaches only rarely (no last price but a mark, zero or negative equity, clocks that repeat).

const SPX = defineInstrument({ id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001 });
const NDX = defineInstrument({ id: 'NDX', pricePrecision: 2, quantityPrecision: 0 });
const COIN = defineInstrument({ id: 'COIN', pricePrecision: 2, quantityPrecision: 4 });
const INSTRUMENTS = new Map<string, Instrument>([SPX, NDX, COIN].map((i) => [i.id, i]));

interface World {
  last?: Record<string, number>;
  positions?: Record<string, { qty: number; mark?: number }>;
  strategyPositions?: Record<string, Record<string, number>>;
  open?: Order[];
  cashUnits?: number;
  equityUnits?: number;
}

let seq = 0;
function order(request: Partial<OrderRequest> & { strategyId?: string; ts?: number } = {}): Order {
  const { strategyId = 's1', ts = 0, ...rest } = request;
  const full = { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1, ...rest } as OrderRequest;
  return createOrder(full, {
    clientOrderId: `o${++seq}`,
    accountId: 'acc',
    strategyId,
    quantityPrecision: INSTRUMENTS.get(full.instrumentId)?.quantityPrecision ?? 0,
    ts,
  });
}

function view(instrument: Instrument, qty: number, mark = 0): StrategyPositionView {
  const qtyUnits = Math.round(qty * 10 ** instrument.quantityPrecision);
  return {
    instrument,
    qtyUnits,
    markPxUnits: Math.round(mark * 100),
    valueUnits: qtyUnits * Math.round(mark * 100),
    costUnits: 0,
    realizedUnits: 0,
    feeUnits: 0,
  };
}

function context(o: Order, world: World = {}): PreTradeContext {
  const last = world.last ?? {};
  const instrument = INSTRUMENTS.get(o.instrumentId) as Instrument;
  const positions = new Map(
    Object.entries(world.positions ?? {}).map(([id, p]) => [
      id,
      view(INSTRUMENTS.get(id) as Instrument, p.qty, p.mark),
    ]),
  );
  const strategyPositions = new Map(
    Object.entries(world.strategyPositions ?? {}).map(([s, books]) => [
      s,
      new Map(Object.entries(books).map(([id, qty]) => [id, view(INSTRUMENTS.get(id) as Instrument, qty)])),
    ]),
  );
  return {
    order: o,
    instrument,
    positionQty: world.positions?.[o.instrumentId]?.qty ?? 0,
    lastPrice: last[o.instrumentId] ?? Number.NaN,
    account: {
      id: 'acc',
      currency: 'USD',
      currencyPrecision: 2,
      initialCashUnits: 10_000_000,
      cashUnits: world.cashUnits ?? 10_000_000,
      equityUnits: world.equityUnits ?? 10_000_000,
      positions,
      strategyPositions,
    },
    openOrders: new Map((world.open ?? []).map((x) => [x.clientOrderId, x])),
    market: {
      lastPrice: (id) => last[id] ?? Number.NaN,
      instrument: (id) => INSTRUMENTS.get(id) as Instrument,
    },
  };
}

const check = (options: RiskRuleOptions, o: Order, world?: World) =>
  createRiskRule(options)(context(o, world));

const configError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return isRxtradeError(error) && error.code === 'INVALID_CONFIG' ? error.message : 'other error';
  }
  return 'no error';
};

describe('createRiskRule options', () => {
  it('refuses zero where a limit must be positive, and negative positions, naming the rule broken', () => {
    expect(configError(() => createRiskRule({ defaults: { maxOrderQuantity: 0 } }))).toMatch(
      /^invalid risk limits: .*must be a finite number > 0/s,
    );
    expect(configError(() => createRiskRule({ defaults: { maxPosition: -1 } }))).toMatch(
      /must be a finite number ≥ 0/,
    );
    expect(configError(() => createRiskRule({ defaults: { maxPosition: 0 } }))).toBe('no error');
  });

  it('requireCash and maxLeverage are for accounts: each alone refused on a strategy', () => {
    for (const limits of [{ requireCash: true }, { maxLeverage: 2 }]) {
      expect(configError(() => createRiskRule({ strategies: { s1: limits } }))).toBe(
        'strategy s1: requireCash and maxLeverage apply to accounts, not strategies',
      );
    }
    // Defaults are account limits, even for an account that is compiled on first use.
    const rule = createRiskRule({ defaults: { requireCash: true, maxLeverage: 2 } });
    expect(rule(context(order(), { last: { SPX: 100 } }))).toBeUndefined();
  });

  it('maxPosition 0 refuses any opening order', () => {
    expect(check({ defaults: { maxPosition: 0 } }, order(), { last: { SPX: 100 } })?.reason).toBe(
      'MAX_POSITION_EXCEEDED',
    );
  });
});

describe('createRiskRule: numbers in denials', () => {
  it('keeps every decimal of the quantity (not three)', () => {
    const denial = check(
      { defaults: { maxOrderQuantity: 0.1234 } },
      order({ instrumentId: 'COIN', quantity: 0.1235 }),
    );
    expect(denial?.message).toBe('MAX_ORDER_QUANTITY_EXCEEDED: 0.1235 > 0.1234 (account acc)');
  });

  it('a notional limit without a price says so', () => {
    expect(check({ defaults: { maxOrderNotional: 1 } }, order())?.message).toBe(
      'PRICE_UNKNOWN: no last price to value a market order at (account acc)',
    );
  });

  it('limits that need no price never ask for one', () => {
    // No last price: only the notional and exposure limits would need one.
    expect(
      check({ defaults: { maxOrderQuantity: 5, maxOpenOrders: 3, priceBand: 0.1 } }, order()),
    ).toBeUndefined();
    expect(check({ defaults: { maxPosition: 10, allowShort: false } }, order())).toBeUndefined();
  });
});

describe('createRiskRule: price band', () => {
  it('cannot measure the distance from a last price of zero, so does not deny on it', () => {
    const band = { defaults: { priceBand: 0.05 } };
    const limit = order({ type: 'limit', price: 100 });
    expect(check(band, limit, { last: { SPX: 0 } })).toBeUndefined();
    expect(check(band, limit, { last: { SPX: 100 } })).toBeUndefined();
    expect(check(band, limit, { last: { SPX: 90 } })?.reason).toBe('PRICE_BAND_EXCEEDED');
  });
});

describe('createRiskRule: max position', () => {
  it("scales a fractional limit to the instrument's quantity units", () => {
    const rule = { defaults: { maxPosition: 1.5 } };
    expect(check(rule, order({ instrumentId: 'COIN', quantity: 1.5 }))).toBeUndefined();
    expect(check(rule, order({ instrumentId: 'COIN', quantity: 1.5001 }))?.reason).toBe(
      'MAX_POSITION_EXCEEDED',
    );
  });

  it('lets a position above the limit shrink, or flip to the same size, but not grow', () => {
    const rule = { defaults: { maxPosition: 4 } };
    const world = { last: { SPX: 100 }, positions: { SPX: { qty: 5 } } };
    expect(check(rule, order({ side: 'sell', quantity: 1 }), world)).toBeUndefined(); // 5 → 4
    expect(check(rule, order({ side: 'sell', quantity: 10 }), world)).toBeUndefined(); // 5 → −5: no larger
    expect(check(rule, order({ side: 'sell', quantity: 11 }), world)?.reason).toBe('MAX_POSITION_EXCEEDED');
  });

  it('allowShort false refuses only sells that go below zero; a buy covering part of a short passes', () => {
    const rule = { defaults: { allowShort: false } };
    const short = { last: { SPX: 100 }, positions: { SPX: { qty: -10 } } };
    expect(check(rule, order({ side: 'buy', quantity: 5 }), short)).toBeUndefined();
    expect(
      check(rule, order({ side: 'sell', quantity: 1 }), { positions: { SPX: { qty: 1 } } }),
    ).toBeUndefined();
    expect(
      check(rule, order({ side: 'sell', quantity: 2 }), { positions: { SPX: { qty: 1 } } })?.message,
    ).toBe('SHORT_NOT_ALLOWED: the position could go to -1 (account acc)');
  });

  it("a strategy scope counts only that strategy's position and open orders", () => {
    const rule = { strategies: { s1: { maxPosition: 10, maxOpenOrders: 1 } } };
    const world = {
      last: { SPX: 100 },
      positions: { SPX: { qty: 50 } }, // the account's, mostly another strategy's
      strategyPositions: { s1: { SPX: 4 }, s2: { SPX: 46 } },
      open: [order({ strategyId: 's2', type: 'limit', price: 90, quantity: 30 })],
    };
    expect(check(rule, order({ quantity: 6 }), world)).toBeUndefined();
    expect(check(rule, order({ quantity: 7 }), world)?.message).toBe(
      'MAX_POSITION_EXCEEDED: |11| > 10 SPX (strategy s1)',
    );
    const busy = { ...world, open: [...world.open, order({ type: 'limit', price: 90, quantity: 1 })] };
    expect(check(rule, order({ quantity: 1 }), busy)?.reason).toBe('MAX_OPEN_ORDERS_EXCEEDED');
  });
});

describe('createRiskRule: exposure', () => {
  it("values a position without a last price at its mark, and the order's own instrument at its limit", () => {
    const rule = { defaults: { maxGrossExposure: 5_000 } };
    // NDX has no last price but was marked at 20: 100 × 20 = 2,000; SPX limit 100 × 31 = 3,100.
    const world = { positions: { NDX: { qty: 100, mark: 20 } } };
    expect(check(rule, order({ type: 'limit', price: 100, quantity: 30 }), world)).toBeUndefined();
    expect(check(rule, order({ type: 'limit', price: 100, quantity: 31 }), world)?.message).toBe(
      'MAX_GROSS_EXPOSURE_EXCEEDED: 5,100 > 5,000 (account acc)',
    );
  });

  it('PRICE_UNKNOWN when an instrument with exposure has no price at all', () => {
    const world = { last: { SPX: 100 }, open: [order({ instrumentId: 'NDX', type: 'market', quantity: 1 })] };
    expect(check({ defaults: { maxNetExposure: 1e9 } }, order(), world)).toEqual({
      reason: 'PRICE_UNKNOWN',
      message: 'PRICE_UNKNOWN: no price to value NDX at',
    });
  });

  it('a flat book of an instrument without a price is no exposure', () => {
    const world = { last: { SPX: 100 }, positions: { NDX: { qty: 0 } } };
    expect(check({ defaults: { maxGrossExposure: 1e9 } }, order(), world)).toBeUndefined();
  });

  it('exposure that does not grow is never refused, even above a limit (worst case of open orders)', () => {
    // Long 50 with a sell of 80 working: worst cases long 5,000 and short −3,000 → gross and net 5,000.
    const world = {
      last: { SPX: 100 },
      positions: { SPX: { qty: 50 } },
      open: [order({ side: 'sell', type: 'limit', price: 110, quantity: 80 })],
      equityUnits: 1_000_000, // 10,000: leverage 0.4 caps gross at 4,000
    };
    for (const limits of [
      { maxGrossExposure: 4_000 },
      { maxNetExposure: 4_000 },
      { maxGrossExposure: 9e9, maxLeverage: 0.4 },
    ]) {
      // Another 10 sold: worst cases 5,000 and −4,000, nothing larger.
      expect(check({ defaults: limits }, order({ side: 'sell', quantity: 10 }), world)).toBeUndefined();
      expect(check({ defaults: limits }, order({ side: 'sell', quantity: 21 }), world)).toBeDefined(); // −5,100
      expect(check({ defaults: limits }, order({ quantity: 1 }), world)).toBeDefined(); // 5,100
    }
  });

  it('leverage is gross over equity; with no equity left any growth is refused as infinite', () => {
    const rule = { defaults: { maxLeverage: 2 } };
    const world = { last: { SPX: 100 }, equityUnits: 1_000_000 }; // 10,000
    expect(check(rule, order({ quantity: 200 }), world)).toBeUndefined(); // 20,000
    expect(check(rule, order({ quantity: 201 }), world)?.message).toBe(
      'MAX_LEVERAGE_EXCEEDED: 2.01 > 2 (account acc)',
    );
    for (const equityUnits of [0, -500_000]) {
      expect(check(rule, order({ quantity: 1 }), { last: { SPX: 100 }, equityUnits })?.message).toBe(
        'MAX_LEVERAGE_EXCEEDED: ∞ > 2 (account acc)',
      );
    }
    // Without a leverage limit, no equity is no reason to refuse.
    expect(
      check({ defaults: { maxGrossExposure: 1e9 } }, order(), { last: { SPX: 100 }, equityUnits: 0 }),
    ).toBeUndefined();
  });
});

describe('createRiskRule: cash', () => {
  it('a buy may spend exactly the cash left after what open buys hold back', () => {
    const rule = { defaults: { requireCash: true } };
    // 10 × 100 = 1,000 + fee 1 = 1,001 (taker 0.1 %); an open buy of 1 at 50 holds 50.05 → 50.05 + 1,001.
    const world = {
      last: { SPX: 100 },
      cashUnits: 105_105,
      open: [order({ type: 'limit', price: 50, quantity: 1 })],
    };
    expect(check(rule, order({ quantity: 10 }), world)).toBeUndefined();
    expect(check(rule, order({ quantity: 10 }), { ...world, cashUnits: 105_104 })?.message).toBe(
      'INSUFFICIENT_CASH: 1,001 > 1,000.99 available (account acc)',
    );
    expect(check(rule, order({ side: 'sell', quantity: 10 }), { ...world, cashUnits: 0 })).toBeUndefined();
  });

  it('a market buy with no price to value it is PRICE_UNKNOWN', () => {
    expect(check({ defaults: { requireCash: true } }, order())?.message).toBe(
      'PRICE_UNKNOWN: no last price to value a market order at (account acc)',
    );
  });
});

describe('createRiskRule: order rate', () => {
  it('says when the next order may go, from the fraction of a token left', () => {
    const rule = createRiskRule({ defaults: { orderRate: { limit: 2, intervalMs: 1_000 } } });
    const at = (ts: number) => rule(context(order({ ts }), { last: { SPX: 100 } }));
    expect(at(0)).toBeUndefined();
    expect(at(0)).toBeUndefined();
    // 250 ms later half a token has come back: the next whole one in 250 ms.
    expect(at(250)?.message).toBe(
      'ORDER_RATE_EXCEEDED: more than 2 orders per 1,000 ms (next in 250 ms) (account acc)',
    );
  });

  it('an order stamped before the last one refills nothing and drains nothing', () => {
    const rule = createRiskRule({ defaults: { orderRate: { limit: 1, intervalMs: 1_000 } } });
    const at = (ts: number) => rule(context(order({ ts }), { last: { SPX: 100 } }));
    expect(at(1_000)).toBeUndefined();
    expect(at(500)?.reason).toBe('ORDER_RATE_EXCEEDED');
    expect(at(2_000)).toBeUndefined(); // a whole interval after 1,000: one token back
  });

  it('an order stamped before the last one takes a token left, not one refilled backwards', () => {
    const rule = createRiskRule({ defaults: { orderRate: { limit: 2, intervalMs: 1_000 } } });
    const at = (ts: number) => rule(context(order({ ts }), { last: { SPX: 100 } }));
    expect(at(1_000)).toBeUndefined();
    expect(at(500)).toBeUndefined();
    expect(at(500)?.reason).toBe('ORDER_RATE_EXCEEDED');
  });

  it("a strategy's own rate, after its other limits passed; the account rate applies too", () => {
    const rule = createRiskRule({
      defaults: { orderRate: { limit: 3, intervalMs: 1_000 } },
      strategies: { s1: { maxOrderQuantity: 100, orderRate: { limit: 1, intervalMs: 1_000 } } },
    });
    const send = (strategyId: string) => rule(context(order({ strategyId }), { last: { SPX: 100 } }));
    expect(send('s1')).toBeUndefined();
    expect(send('s1')?.message).toBe(
      'ORDER_RATE_EXCEEDED: more than 1 orders per 1,000 ms (next in 1,000 ms) (strategy s1)',
    );
    expect(send('s2')).toBeUndefined(); // the account's second token (s1's refusal took none)
    expect(send('s2')).toBeUndefined();
    expect(send('s2')?.message).toMatch(/\(account acc\)$/);
  });
});
