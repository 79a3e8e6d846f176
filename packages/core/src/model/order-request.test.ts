import { describe, expect, it } from 'vitest';
import { isRxtradeError } from '../errors';
import {
  applyOrderEvent,
  contingencyProblem,
  createOrder,
  OrderAmendmentSchema,
  OrderRequestSchema,
  trailingProblem,
} from './order';

// The request and amendment schemas field by field, the contingency and trailing rules, and the
// defaults of a new order (issue #15: each case here fails on a mutant of order.ts that the state
// machine's tests leave alive).

const req = { instrumentId: 'SPX', side: 'buy', quantity: 1 } as const;
const issues = (request: object): string[] =>
  OrderRequestSchema.safeParse(request).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
const identity = { clientOrderId: 'c', accountId: 'a', strategyId: 's', quantityPrecision: 0, ts: 1 };

describe('OrderRequestSchema', () => {
  it('accepts every side, type and time in force when priced for its type', () => {
    for (const side of ['buy', 'sell']) expect(issues({ ...req, side, type: 'market' })).toEqual([]);
    expect(issues({ ...req, type: 'limit', price: 1 })).toEqual([]);
    expect(issues({ ...req, type: 'stop', triggerPrice: 1 })).toEqual([]);
    expect(issues({ ...req, type: 'stopLimit', price: 1, triggerPrice: 1 })).toEqual([]);
    for (const timeInForce of ['GTC', 'IOC', 'FOK', 'DAY']) {
      expect(issues({ ...req, type: 'market', timeInForce })).toEqual([]);
    }
    expect(issues({ ...req, type: 'market', timeInForce: 'GTD', expireTime: 5 })).toEqual([]);
    expect(issues({ ...req, type: 'limit', price: 1, postOnly: true })).toEqual([]);
    expect(issues({ ...req, type: 'limit', price: 1, postOnly: false, reduceOnly: true })).toEqual([]);
    expect(issues({ ...req, type: 'market', timeInForce: 'GTX' })).toHaveLength(1);
  });

  it('a stop-limit needs both its prices', () => {
    expect(issues({ ...req, type: 'stopLimit', triggerPrice: 1 })).toEqual(['price: required for stopLimit']);
    expect(issues({ ...req, type: 'stopLimit', price: 1 })).toEqual(['triggerPrice: required for stopLimit']);
  });

  it('an expiry time goes with GTD and only with it', () => {
    expect(issues({ ...req, type: 'market', timeInForce: 'GTD' })).toEqual([
      'expireTime: required for GTD orders, and only for them',
    ]);
    expect(issues({ ...req, type: 'market', expireTime: 5 })).toEqual([
      'expireTime: required for GTD orders, and only for them',
    ]);
  });

  it('reports the trailing and contingency rules under their fields', () => {
    expect(issues({ ...req, type: 'limit', price: 1, trailingAmount: 1 })).toEqual([
      'trailingAmount: only stop and stopLimit orders trail, not limit',
    ]);
    expect(issues({ ...req, type: 'market', oco: { type: 'limit', price: 2 } })).toEqual([
      'oco: a market order cannot have an OCO sibling',
    ]);
  });

  it('reports its own rules as custom issues', () => {
    const codes = (request: object) => OrderRequestSchema.safeParse(request).error?.issues.map((i) => i.code);
    for (const request of [
      { ...req, type: 'limit' }, // price
      { ...req, type: 'stop' }, // triggerPrice
      { ...req, type: 'market', postOnly: true },
      { ...req, type: 'market', expireTime: 5 },
      { ...req, type: 'limit', price: 1, trailingAmount: 1 },
      { ...req, type: 'market', oco: { type: 'limit', price: 2 } },
    ]) {
      expect(codes(request)).toEqual(['custom']);
    }
  });

  it('ids of 1 to 64 characters, for the order, its account, its strategy and its OCO sibling', () => {
    const market = { ...req, type: 'market' };
    const long = 'x'.repeat(64);
    for (const field of ['clientOrderId', 'accountId', 'strategyId']) {
      expect(issues({ ...market, [field]: 'ab' })).toEqual([]);
      expect(issues({ ...market, [field]: long })).toEqual([]);
      expect(issues({ ...market, [field]: `${long}x` })).toHaveLength(1);
      expect(issues({ ...market, [field]: '' })).toHaveLength(1);
    }
    const limit = { ...req, type: 'limit', price: 1 };
    expect(issues({ ...limit, oco: { type: 'stop', triggerPrice: 2, clientOrderId: long } })).toEqual([]);
    expect(issues({ ...limit, oco: { type: 'stop', triggerPrice: 2, clientOrderId: `${long}x` } })).toContain(
      'oco: oco is not a valid oco',
    );
  });
});

describe('contingencyProblem', () => {
  const limit = { type: 'limit' };

  it('accepts well-formed exits and siblings of every type', () => {
    expect(contingencyProblem({ ...limit, takeProfit: { price: 2 } })).toBeUndefined();
    expect(contingencyProblem({ ...limit, stopLoss: { triggerPrice: 1 } })).toBeUndefined();
    expect(contingencyProblem({ ...limit, stopLoss: { triggerPrice: 1, price: 0.9 } })).toBeUndefined();
    expect(
      contingencyProblem({ ...limit, stopLoss: { triggerPrice: 1, trailingAmount: 0.5 } }),
    ).toBeUndefined();
    expect(
      contingencyProblem({ ...limit, stopLoss: { triggerPrice: 1, trailingPercent: 5 } }),
    ).toBeUndefined();
    expect(
      contingencyProblem({ ...limit, takeProfit: { price: 2 }, stopLoss: { triggerPrice: 1 } }),
    ).toBeUndefined();
    expect(contingencyProblem({ ...limit, oco: { type: 'limit', price: 2 } })).toBeUndefined();
    expect(contingencyProblem({ ...limit, oco: { type: 'stop', triggerPrice: 1 } })).toBeUndefined();
    expect(
      contingencyProblem({ ...limit, oco: { type: 'stopLimit', price: 1, triggerPrice: 1 } }),
    ).toBeUndefined();
    expect(
      contingencyProblem({ ...limit, oco: { type: 'stop', triggerPrice: 1, trailingPercent: 2 } }),
    ).toBeUndefined();
    expect(contingencyProblem({ type: 'market' })).toBeUndefined();
  });

  it('names the part that is malformed', () => {
    expect(contingencyProblem({ ...limit, takeProfit: { price: -1 } })).toBe(
      'takeProfit is not a valid takeProfit',
    );
    expect(contingencyProblem({ ...limit, takeProfit: { price: 2, size: 1 } })).toBe(
      'takeProfit is not a valid takeProfit',
    );
    expect(contingencyProblem({ ...limit, stopLoss: {} })).toBe('stopLoss is not a valid stopLoss');
    expect(contingencyProblem({ ...limit, stopLoss: { triggerPrice: 1, trailingPercent: 100 } })).toBe(
      'stopLoss is not a valid stopLoss',
    );
    expect(contingencyProblem({ ...limit, oco: { type: 'market' } })).toBe('oco is not a valid oco');
    expect(contingencyProblem({ ...limit, oco: { type: 'limit', price: 2, extra: 1 } })).toBe(
      'oco is not a valid oco',
    );
  });

  it('a stop-loss trails by an amount or a percent, not both', () => {
    expect(
      contingencyProblem({ ...limit, stopLoss: { triggerPrice: 1, trailingAmount: 1, trailingPercent: 1 } }),
    ).toBe('stopLoss: give trailingAmount or trailingPercent, not both');
  });

  it('an OCO sibling goes without a bracket, on a priced order', () => {
    const oco = { type: 'limit', price: 2 };
    const both = 'an order has an OCO sibling or a bracket’s exits, not both';
    expect(contingencyProblem({ ...limit, oco, takeProfit: { price: 2 } })).toBe(both);
    expect(contingencyProblem({ ...limit, oco, stopLoss: { triggerPrice: 1 } })).toBe(both);
    expect(contingencyProblem({ type: 'market', oco })).toBe('a market order cannot have an OCO sibling');
  });

  it('an OCO sibling is priced for its type', () => {
    expect(contingencyProblem({ ...limit, oco: { type: 'limit' } })).toBe('oco: price is required for limit');
    expect(contingencyProblem({ ...limit, oco: { type: 'stop', triggerPrice: 1, price: 1 } })).toBe(
      'oco: price is not allowed for stop',
    );
    expect(contingencyProblem({ ...limit, oco: { type: 'stop' } })).toBe(
      'oco: triggerPrice is required for stop',
    );
    expect(contingencyProblem({ ...limit, oco: { type: 'stopLimit', price: 1 } })).toBe(
      'oco: triggerPrice is required for stopLimit',
    );
    expect(contingencyProblem({ ...limit, oco: { type: 'limit', price: 1, triggerPrice: 1 } })).toBe(
      'oco: triggerPrice is not allowed for limit',
    );
    expect(contingencyProblem({ ...limit, oco: { type: 'limit', price: 1, trailingAmount: 1 } })).toBe(
      'only stop and stopLimit orders trail, not limit',
    );
  });
});

describe('trailingProblem', () => {
  it('allows one trailing distance, on stop and stop-limit orders only', () => {
    expect(trailingProblem({ type: 'limit' })).toBeUndefined();
    expect(trailingProblem({ type: 'stop', trailingAmount: 1 })).toBeUndefined();
    expect(trailingProblem({ type: 'stopLimit', trailingPercent: 1 })).toBeUndefined();
    expect(trailingProblem({ type: 'stop', trailingAmount: 1, trailingPercent: 1 })).toBe(
      'give trailingAmount or trailingPercent, not both',
    );
    expect(trailingProblem({ type: 'limit', trailingAmount: 1 })).toBe(
      'only stop and stopLimit orders trail, not limit',
    );
    expect(trailingProblem({ type: 'market', trailingPercent: 1 })).toBe(
      'only stop and stopLimit orders trail, not market',
    );
  });
});

describe('OrderAmendmentSchema', () => {
  it('needs at least one of quantity, price and trigger price', () => {
    for (const amendment of [{ quantity: 1 }, { price: 1 }, { triggerPrice: 1 }, { quantity: 1, price: 2 }]) {
      expect(OrderAmendmentSchema.safeParse(amendment).success).toBe(true);
    }
    expect(OrderAmendmentSchema.safeParse({}).error?.issues.map((i) => i.message)).toEqual([
      'an amendment changes quantity, price or triggerPrice',
    ]);
    expect(OrderAmendmentSchema.safeParse({ quantity: 1, side: 'sell' }).success).toBe(false);
  });
});

describe('createOrder', () => {
  it('defaults to GTC, neither reduce-only nor post-only, and keeps what was asked', () => {
    const plain = createOrder({ ...req, type: 'market' }, identity);
    expect(plain).toMatchObject({ timeInForce: 'GTC', reduceOnly: false, postOnly: false });
    const asked = createOrder(
      { ...req, type: 'limit', price: 1, timeInForce: 'IOC', reduceOnly: true, postOnly: true },
      identity,
    );
    expect(asked).toMatchObject({ timeInForce: 'IOC', reduceOnly: true, postOnly: true });
  });

  it('an amendment at or below the filled quantity is INVALID_ARGUMENT', () => {
    const order = applyOrderEvent(createOrder({ ...req, type: 'limit', price: 1, quantity: 2 }, identity), {
      type: 'OrderAccepted',
      clientOrderId: 'c',
      accountId: 'a',
      strategyId: 's',
      instrumentId: 'SPX',
      tsEvent: 2,
      venueOrderId: 'V',
    });
    try {
      applyOrderEvent(order, {
        type: 'OrderUpdated',
        clientOrderId: 'c',
        accountId: 'a',
        strategyId: 's',
        instrumentId: 'SPX',
        tsEvent: 3,
        quantity: 0,
      });
      expect.unreachable();
    } catch (error) {
      expect(isRxtradeError(error) && error.code).toBe('INVALID_ARGUMENT');
    }
  });
});
