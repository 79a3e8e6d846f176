import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, createFixture, type GatewayFixture } from './test-support';

/**
 * 10,000 generated bodies against every route that takes one, with an all-powerful key so only
 * validation stands in the way. Every body is invalid by construction (random JSON, broken JSON, or a
 * valid body with exactly one fatal mutation). Pass: 100% 4xx with a typed error, no 5xx, and the
 * engine's orders, positions, risk state and the strategies are exactly as before.
 */

const VALID = {
  order: { accountId: 'acct-a', instrumentId: 'BTCUSD', side: 'buy', type: 'limit', quantity: 1, price: 50 },
  kill: { reason: 'fuzz', flatten: true },
  cancel: { accountId: 'acct-a' },
} as const;

type Target = keyof typeof VALID;
const ROUTES: Record<Target, { method: 'POST' | 'DELETE'; url: string }> = {
  order: { method: 'POST', url: '/api/orders' },
  kill: { method: 'POST', url: '/api/risk/kill-switch' },
  cancel: { method: 'DELETE', url: '/api/orders/gw-open' },
};

/** A value that is never valid where a string id, enum, number or boolean is expected. */
const wrongValue = (kind: Kind): fc.Arbitrary<unknown> =>
  kind === 'reason'
    ? fc.oneof(
        fc.constant(null),
        fc.double(),
        fc.boolean(),
        fc.constantFrom('', '   ', 'r'.repeat(201), 'a\nb', 'x\u0000', '\u001b[31m'),
      )
    : fc.oneof(
        fc.constant(null),
        fc.array(fc.jsonValue(), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
        kind === 'boolean' ? fc.oneof(fc.integer(), fc.string()) : fc.boolean(),
        kind === 'number'
          ? fc.oneof(fc.string(), fc.constantFrom(0, -1, -0.5, 1e13, Number.MAX_VALUE))
          : kind === 'string'
            ? fc.oneof(
                fc.double(),
                fc.constantFrom('', ' ', 'a b', 'x'.repeat(65), 'zz/..', '<script>', 'acct-a\n'),
              )
            : fc.double(),
      );

type Kind = 'string' | 'number' | 'boolean' | 'reason';
const KINDS: Record<string, Kind> = {
  accountId: 'string',
  instrumentId: 'string',
  side: 'string',
  type: 'string',
  quantity: 'number',
  price: 'number',
  reason: 'reason',
  flatten: 'boolean',
};

const mutated: fc.Arbitrary<{ target: Target; body: unknown; raw?: string; contentType?: string }> = fc.oneof(
  // random JSON of any shape
  fc.record({ target: fc.constantFrom<Target>('order', 'kill', 'cancel'), body: fc.jsonValue() }),
  // a valid body plus one unknown field
  fc
    .record({
      target: fc.constantFrom<Target>('order', 'kill', 'cancel'),
      extra: fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in KINDS) && k !== 'clientOrderId'),
      value: fc.jsonValue(),
    })
    .map(({ target, extra, value }) => ({ target, body: { ...VALID[target], [extra]: value } })),
  // a valid body with one required field removed
  fc.constantFrom<Target>('order', 'kill', 'cancel').chain((target) =>
    fc.constantFrom(...Object.keys(VALID[target])).map((drop) => {
      const body: Record<string, unknown> = { ...VALID[target] };
      delete body[drop];
      return { target, body };
    }),
  ),
  // a valid body with one field of the wrong type or out of range
  fc.constantFrom<Target>('order', 'kill', 'cancel').chain((target) =>
    fc.constantFrom(...Object.keys(VALID[target])).chain((field) =>
      wrongValue(KINDS[field] ?? 'string').map((value) => ({
        target,
        body: { ...VALID[target], [field]: value },
      })),
    ),
  ),
  // enums out of their set, cross-field rules broken
  fc.constantFrom<{ target: Target; body: unknown }>(
    { target: 'order', body: { ...VALID.order, side: 'long' } }, // BUY is an accepted spelling of buy
    { target: 'order', body: { ...VALID.order, type: 'market' } },
    { target: 'order', body: { ...VALID.order, type: 'stop' } },
    { target: 'order', body: { ...VALID.order, postOnly: true, type: 'stopLimit', triggerPrice: 1 } },
    { target: 'order', body: { ...VALID.order, strategyId: 'sma' } },
    { target: 'kill', body: { ...VALID.kill, reason: '   ' } },
    { target: 'kill', body: { ...VALID.kill, reason: 'r'.repeat(201) } },
  ),
  // not JSON at all, or a JSON prototype-poisoning attempt, or the wrong media type
  fc.record({
    target: fc.constantFrom<Target>('order', 'kill', 'cancel'),
    body: fc.constant(undefined),
    raw: fc.oneof(
      fc.string({ maxLength: 60 }).filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return true;
        }
      }),
      fc.constantFrom(
        '{"__proto__":{"admin":true},"reason":"x","flatten":true}',
        '{"constructor":{"prototype":{"x":1}}}',
        '{"reason":"x","flatten":true,}',
      ),
    ),
    contentType: fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/xml',
    ),
  }),
);

let f: GatewayFixture;
beforeAll(async () => {
  f = await createFixture();
  const res = await f.app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: auth(f.keys.all),
    payload: { ...VALID.order, clientOrderId: 'gw-open' },
  });
  expect(res.statusCode).toBe(201);
});
afterAll(async () => {
  await f.close();
});

function snapshot() {
  return JSON.stringify({
    open: f.engine.openOrders(),
    positions: f.engine.positions(),
    accounts: f.engine.accounts(),
    state: ['acct-a', 'acct-b'].map((a) => f.engine.tradingState(a)),
    ids: ['gw-open', 'manual-1', 'manual-2'].map((id) => f.engine.order(id)?.status ?? null),
  });
}

describe('fuzzed bodies', () => {
  it('10,000 invalid bodies: all 4xx with a typed error, no 5xx, no state change', async () => {
    const before = snapshot();
    const strategiesBefore = await f.backend.listStrategies();
    const statuses = new Map<number, number>();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(mutated, async (c) => {
        runs++;
        const route = ROUTES[c.target];
        const res = await f.app.inject({
          method: route.method,
          url: route.url,
          headers: { ...auth(f.keys.all), 'content-type': c.contentType ?? 'application/json' },
          payload: c.raw ?? JSON.stringify(c.body),
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
        const body = res.json() as { error?: { code?: unknown; message?: unknown } };
        expect(typeof body.error?.code).toBe('string');
        expect(typeof body.error?.message).toBe('string');
        expect(res.body).not.toMatch(/\.ts:\d+|\.js:\d+|node_modules|ZodError/);
      }),
      { numRuns: 10_000, seed: 20_261_124 },
    );
    expect(runs).toBe(10_000);
    expect(snapshot()).toBe(before);
    expect(await f.backend.listStrategies()).toEqual(strategiesBefore);
    expect(f.engine.order('gw-open')?.status).not.toBe('canceled');
    console.info('fuzz status counts', Object.fromEntries(statuses));
    expect(statuses.get(400) ?? 0).toBeGreaterThan(5_000);
  });
});
