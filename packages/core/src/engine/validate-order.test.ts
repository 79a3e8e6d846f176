import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OrderRequest, OrderRequestFieldsSchema, OrderRequestSchema } from '../model/order';
import { plainOrderRequest, REQUEST_KEYS, validateOrderRequest } from './validate-order';

// Values chosen around every boundary the two validators check, plus arbitrary junk.
const junk = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    true,
    false,
    0,
    -0,
    1,
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    '',
    '1',
    [],
    {},
  ),
  fc.anything(),
);
const id = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 64 }) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(64), 'x'.repeat(65)) },
  { weight: 1, arbitrary: junk },
);
const num = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: 1e-9, max: 1e9, noNaN: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      0,
      -0,
      -1,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ),
  },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: junk },
);
const oneOfOrJunk = <T>(...values: T[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: junk });

/** Only keys the schema knows: the strict object's refusal of unknown keys is not part of the comparison. */
const requestArb = fc.record(
  {
    clientOrderId: id,
    accountId: id,
    strategyId: id,
    instrumentId: id,
    side: oneOfOrJunk('buy', 'sell', 'BUY'),
    type: oneOfOrJunk('market', 'limit', 'stop', 'stopLimit', 'stop_limit'),
    quantity: num,
    price: num,
    triggerPrice: num,
    timeInForce: oneOfOrJunk('GTC', 'IOC', 'FOK', 'DAY', 'GTD'),
    reduceOnly: oneOfOrJunk(true, false),
    postOnly: oneOfOrJunk(true, false),
    expireTime: fc.oneof(num, fc.constantFrom(0, 1_700_000_000_000, -1, 1.5)),
    trailingAmount: num,
    trailingPercent: fc.oneof(num, fc.constantFrom(0, 50, 99.99, 100, 101)),
  },
  { requiredKeys: [] },
);

/** Mostly well-formed requests: the price fields follow the type, so acceptance is common and the edges are near. */
const coherentArb = fc
  .tuple(
    requestArb,
    fc.constantFrom('market', 'limit', 'stop', 'stopLimit'),
    fc.double({ min: 0.01, max: 1e6, noNaN: true }),
    fc.double({ min: 0.01, max: 1e6, noNaN: true }),
    fc.boolean(),
  )
  .map(([request, type, price, triggerPrice, keepJunk]) => {
    const r: Record<string, unknown> = { ...request, type, instrumentId: 'SPX', side: 'sell', quantity: 5 };
    if (type === 'limit' || type === 'stopLimit') r['price'] = keepJunk ? (request.price ?? price) : price;
    else if (!keepJunk) delete r['price'];
    if (type === 'stop' || type === 'stopLimit')
      r['triggerPrice'] = keepJunk ? (request.triggerPrice ?? triggerPrice) : triggerPrice;
    else if (!keepJunk) delete r['triggerPrice'];
    // Trailing: mostly none or one valid distance on a stop; junk, both, or the wrong type now and then.
    if (!keepJunk) {
      delete r['trailingAmount'];
      delete r['trailingPercent'];
      if (type === 'stop' || type === 'stopLimit')
        r[price > triggerPrice ? 'trailingAmount' : 'trailingPercent'] = 2;
      if (r['timeInForce'] === 'GTD') r['expireTime'] = 1_700_000_000_000;
      else delete r['expireTime'];
    }
    return r;
  });

describe('validateOrderRequest', () => {
  it('accepts and refuses exactly what OrderRequestSchema accepts and refuses', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(requestArb, coherentArb), (request) => {
        const byHand = validateOrderRequest(request as OrderRequest);
        const byZod = OrderRequestSchema.safeParse(request);
        expect(byHand === undefined, `hand: ${byHand}; zod: ${byZod.error?.message}`).toBe(byZod.success);
        if (byZod.success) accepted++;
      }),
      { numRuns: 10_000 },
    );
    // Both outcomes were exercised.
    expect(accepted).toBeGreaterThan(500);
  });

  it('describes values that cannot be turned into a string instead of throwing', () => {
    // Found by the property above: String({ toString: '' }) throws a TypeError.
    const hostile = { toString: '' } as unknown as 'GTC';
    const request = { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 } as const;
    expect(validateOrderRequest({ ...request, timeInForce: hostile })).toBe('timeInForce object is unknown');
    expect(validateOrderRequest({ ...request, side: Object.create(null) })).toBe(
      'side must be buy or sell, got object',
    );
    expect(validateOrderRequest({ ...request, quantity: Object.create(null) })).toMatch(/^quantity/);
  });

  it('refuses non-objects and explains the first problem', () => {
    for (const bad of [null, undefined, 1, 'order']) {
      expect(validateOrderRequest(bad as unknown as OrderRequest)).toBe('request must be an object');
      expect(OrderRequestSchema.safeParse(bad).success).toBe(false);
    }
    expect(validateOrderRequest({ instrumentId: 'SPX', side: 'buy', type: 'limit', quantity: 1 })).toMatch(
      /price/,
    );
    expect(
      validateOrderRequest({ instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1, postOnly: true }),
    ).toMatch(/post-only/);
    expect(
      validateOrderRequest({
        instrumentId: 'SPX',
        side: 'buy',
        type: 'stopLimit',
        quantity: 1,
        price: 2,
        triggerPrice: 2,
      }),
    ).toBeUndefined();
  });
});

describe('plainOrderRequest', () => {
  /** Requests as above, now and then with a key the schema does not know or a contingent part. */
  const extraArb = fc.tuple(
    fc.oneof(requestArb, coherentArb),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('qty', 'Side', 'takeProfit', 'stopLoss', 'oco', 'constructor'),
      },
    ),
    junk,
  );

  it('takes exactly the plain requests the schema accepts, as a copy equal to its output', () => {
    let fast = 0;
    fc.assert(
      fc.property(extraArb, ([request, extra, value]) => {
        const input: Record<string, unknown> = { ...(request as object) };
        if (extra !== null) input[extra] = value;
        const byZod = OrderRequestSchema.safeParse(input);
        const plain = plainOrderRequest(input);
        if (plain === undefined) {
          // The slow lane: refused by zod too, or a contingent part zod copies deeply.
          const contingent = ['takeProfit', 'stopLoss', 'oco'].some((k) => k in input);
          expect(byZod.success && !contingent, JSON.stringify(input)).toBe(false);
          return;
        }
        fast++;
        expect(byZod.success, byZod.error?.message).toBe(true);
        expect(plain).toEqual(byZod.data);
        expect(plain).not.toBe(input);
      }),
      { numRuns: 10_000 },
    );
    expect(fast).toBeGreaterThan(500);
  });

  it('takes exactly the schema’s keys but the contingent parts (a new field waits for the validator)', () => {
    const contingent = ['takeProfit', 'stopLoss', 'oco'];
    const schemaKeys = Object.keys(OrderRequestFieldsSchema.shape).filter((k) => !contingent.includes(k));
    expect([...REQUEST_KEYS].sort()).toEqual(schemaKeys.sort());
  });

  it('refuses arrays and functions that carry a request’s keys, as the schema does', () => {
    const fields = { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1 };
    const array = Object.assign([], fields);
    const fn = Object.assign(() => {}, fields);
    for (const odd of [array, fn]) {
      expect(OrderRequestSchema.safeParse(odd).success).toBe(false);
      expect(plainOrderRequest(odd)).toBeUndefined();
    }
    expect(plainOrderRequest(fields)).toEqual(fields);
  });

  it('refuses null, and an extra key even when its value is undefined', () => {
    expect(plainOrderRequest(null)).toBeUndefined();
    const request = { instrumentId: 'SPX', side: 'buy', type: 'market', quantity: 1, extra: undefined };
    expect(plainOrderRequest(request)).toBeUndefined();
    expect(OrderRequestSchema.safeParse(request).success).toBe(false);
  });
});
