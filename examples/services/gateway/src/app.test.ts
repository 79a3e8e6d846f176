import type { AddressInfo } from 'node:net';
import {
  createGatewayApp,
  createMemoryKeyStore,
  createMemoryRateLimiter,
  mintApiKey,
} from '@rxtrade/fleet/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  bar,
  captureLogger,
  createFixture,
  FAILING_PRICE,
  type GatewayFixture,
  tamper,
} from './test-support';

const marketBuy = { accountId: 'acct-a', instrumentId: 'BTCUSD', side: 'buy', type: 'market', quantity: 1 };

let f: GatewayFixture;
beforeAll(async () => {
  f = await createFixture();
});
afterAll(async () => {
  await f.close();
});

const get = (url: string, key?: string) =>
  f.app.inject({ method: 'GET', url, headers: key === undefined ? {} : auth(key) });
const post = (url: string, key: string, payload?: unknown) =>
  f.app.inject({
    method: 'POST',
    url,
    headers: auth(key),
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

function expectTypedError(res: { statusCode: number; json(): unknown }, status: number, code?: string) {
  expect(res.statusCode).toBe(status);
  const body = res.json() as { error: { code: string; message: string } };
  expect(Object.keys(body)).toContain('error');
  expect(typeof body.error.code).toBe('string');
  expect(typeof body.error.message).toBe('string');
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body;
}

describe('authentication', () => {
  it('answers one identical 401 for a missing, malformed, unknown or wrong key', async () => {
    const wrongSecret = tamper(f.keys.readA);
    const unknownId = mintApiKey({ scopes: ['read'], accounts: '*' }).key;
    const variants = [
      {},
      { authorization: '' },
      { authorization: 'Bearer' },
      { authorization: 'Basic Zm9vOmJhcg==' },
      { authorization: 'Bearer nonsense' },
      auth(wrongSecret),
      auth(unknownId),
      auth(`${f.keys.readA}x`),
    ];
    const responses = await Promise.all(
      variants.map((headers) => f.app.inject({ method: 'GET', url: '/api/accounts', headers })),
    );
    const strip = (h: Record<string, unknown>) => {
      const { date: _d, 'x-request-id': _r, ...rest } = h;
      return rest;
    };
    const first = responses[0];
    if (first === undefined) throw new Error('no response');
    expect(first.statusCode).toBe(401);
    expect(first.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'missing or invalid credentials' },
    });
    expect(first.headers['www-authenticate']).toBe('Bearer');
    for (const res of responses) {
      expect(res.statusCode).toBe(401);
      expect(res.body).toBe(first.body);
      expect(strip(res.headers)).toEqual(strip(first.headers));
    }
  });

  it('never logs a key', async () => {
    await get('/api/accounts', f.keys.readA);
    await get('/api/accounts', `${f.keys.readA}x`);
    const text = JSON.stringify(f.logger.lines);
    expect(text).toContain('"route":"/api/accounts"');
    expect(text).not.toContain(f.keys.readA.slice(21));
  });

  it('checks scopes: 403 without the route scope', async () => {
    expectTypedError(await post('/api/orders', f.keys.readA, marketBuy), 403, 'FORBIDDEN');
    expectTypedError(
      await post('/api/risk/kill-switch', f.keys.tradeA, { reason: 'x', flatten: false }),
      403,
    );
    expectTypedError(await post('/api/strategies/sma/stop', f.keys.tradeA), 403);
  });
});

describe('security headers and generic errors', () => {
  it('sets CSP, nosniff, referrer, framing and no X-Powered-By on API, errors and the dashboard', async () => {
    for (const res of [
      await get('/api/accounts', f.keys.readA),
      await get('/api/accounts'),
      await get('/'),
      await get('/nope'),
    ]) {
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('refuses bodies over 16 KiB with 413, non-JSON with 415, broken JSON with 400', async () => {
    const big = { ...marketBuy, clientOrderId: 'x', pad: 'y'.repeat(17_000) };
    expectTypedError(await post('/api/orders', f.keys.tradeA, big), 413, 'PAYLOAD_TOO_LARGE');
    const text = await f.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...auth(f.keys.tradeA), 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expectTypedError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const broken = await f.app.inject({
      method: 'POST',
      url: '/api/orders',
      headers: { ...auth(f.keys.tradeA), 'content-type': 'application/json' },
      payload: '{"accountId":',
    });
    const longParam = await get(`/api/accounts/${'x'.repeat(300)}`, f.keys.readA);
    expectTypedError(longParam, 414, 'URI_TOO_LONG');
    expect(longParam.headers['x-content-type-options']).toBe('nosniff');
    expectTypedError(await get('/api/accounts/%zz', f.keys.readA), 400, 'BAD_URL');
    const body = expectTypedError(broken, 400);
    expect(JSON.stringify(body)).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('hides internals of unexpected failures behind a generic 500', async () => {
    const original = f.backend.listStrategies;
    (f.backend as unknown as { listStrategies: () => Promise<never> }).listStrategies = async () => {
      throw new Error('secret internal detail at /srv/app.js:12');
    };
    try {
      const res = await get('/api/strategies', f.keys.readA);
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    } finally {
      (f.backend as { listStrategies: typeof original }).listStrategies = original;
    }
  });
});

describe('routes', () => {
  it('GET /api/accounts lists only the key’s accounts', async () => {
    const a = (await get('/api/accounts', f.keys.readA)).json() as { accounts: { accountId: string }[] };
    expect(a.accounts.map((x) => x.accountId)).toEqual(['acct-a']);
    const all = (await get('/api/accounts', f.keys.all)).json() as { accounts: { accountId: string }[] };
    expect(all.accounts.map((x) => x.accountId)).toEqual(['acct-a', 'acct-b']);
  });

  it('GET /api/accounts/:id, positions and orders; 404 for another account, exactly as for an unknown one', async () => {
    const res = await get('/api/accounts/acct-a', f.keys.readA);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ account: { accountId: 'acct-a', initialCash: 100_000 } });
    expect((await get('/api/accounts/acct-a/positions', f.keys.readA)).json()).toHaveProperty('positions');
    expect((await get('/api/accounts/acct-a/orders?open=true', f.keys.readA)).json()).toHaveProperty(
      'orders',
    );
    for (const url of [
      '/api/accounts/acct-b',
      '/api/accounts/acct-b/positions',
      '/api/accounts/acct-b/orders',
    ]) {
      const other = await get(url, f.keys.readA);
      const missing = await get(url.replace('acct-b', 'acct-zz'), f.keys.readA);
      expectTypedError(other, 404, 'NOT_FOUND');
      expect(other.body).toBe(missing.body);
    }
    expectTypedError(
      await get('/api/accounts/acct-a/orders?open=yes', f.keys.readA),
      400,
      'VALIDATION_FAILED',
    );
    expectTypedError(await get('/api/accounts/acct-a/orders?x=1', f.keys.readA), 400);
  });

  it('POST /api/orders submits, fills on the next bar, shows in positions; other accounts are 404', async () => {
    const res = await post('/api/orders', f.keys.tradeA, { ...marketBuy, clientOrderId: 'gw-1' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      order: { clientOrderId: 'gw-1', accountId: 'acct-a', strategyId: 'manual' },
    });
    f.engine.processBar(bar('BTCUSD', 101));
    const positions = (await get('/api/accounts/acct-a/positions', f.keys.readA)).json() as {
      positions: { instrumentId: string; quantity: number }[];
    };
    expect(positions.positions).toEqual([expect.objectContaining({ instrumentId: 'BTCUSD', quantity: 1 })]);
    const orders = (await get('/api/accounts/acct-a/orders', f.keys.readA)).json() as {
      orders: { status: string }[];
    };
    expect(orders.orders.map((o) => o.status)).toContain('filled');
    expectTypedError(await post('/api/orders', f.keys.tradeA, { ...marketBuy, accountId: 'acct-b' }), 404);
    expectTypedError(await post('/api/orders', f.keys.tradeA, { ...marketBuy, clientOrderId: 'gw-1' }), 409);
    expectTypedError(await post('/api/orders', f.keys.tradeA, { ...marketBuy, instrumentId: 'NOPE' }), 400);
    expectTypedError(await post('/api/orders', f.keys.tradeA, { ...marketBuy, strategyId: 'sma' }), 400);
    expectTypedError(await post('/api/orders', f.keys.tradeA, { ...marketBuy, type: 'limit' }), 400);
    expect(f.engine.positions('acct-b')).toEqual([]);
  });

  it('GET /api/accounts/:id/equity: the equity samples so far, in arrival order, ending at the account equity; 404 for another key', async () => {
    const before = ((await get('/api/accounts/acct-a/equity', f.keys.readA)).json() as { equity: unknown[] })
      .equity.length;
    expect(before).toBeGreaterThan(0); // the starting equity at least
    for (const px of [120, 125]) f.engine.processBar(bar('BTCUSD', px));
    const res = await get('/api/accounts/acct-a/equity', f.keys.readA);
    expect(res.statusCode).toBe(200);
    const { equity } = res.json() as { equity: { ts: number; equity: number }[] };
    expect(equity.length).toBeGreaterThanOrEqual(before + 1);
    expect(equity.at(-1)?.ts).toBe(f.engine.account('acct-a').tsLast);
    expect(equity.at(-1)?.equity).toBe(f.engine.account('acct-a').equity);
    expectTypedError(await get('/api/accounts/acct-b/equity', f.keys.readA), 404);
    expectTypedError(await get('/api/accounts/acct-a/equity?x=1', f.keys.readA), 400);
  });

  it('POST /api/orders takes a limit order on the tick grid: open until a later bar crosses it, then filled', async () => {
    const limit = { ...marketBuy, type: 'limit', price: 95.5, clientOrderId: 'gw-lim-fill' };
    const res = await post('/api/orders', f.keys.tradeA, limit);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ order: { type: 'limit', price: 95.5, status: 'accepted' } });
    const openIds = async () =>
      (
        (await get('/api/accounts/acct-a/orders?open=true', f.keys.readA)).json() as {
          orders: { clientOrderId: string }[];
        }
      ).orders.map((o) => o.clientOrderId);
    f.engine.processBar(bar('BTCUSD', 100)); // low 100: not crossed
    expect(await openIds()).toContain('gw-lim-fill');
    f.engine.processBar(bar('BTCUSD', 95)); // opens through the limit: fills, at the open
    expect(await openIds()).not.toContain('gw-lim-fill');
    expect(f.engine.order('gw-lim-fill')).toMatchObject({ status: 'filled', avgPx: 95 });
  });

  it('POST /api/orders refuses a limit price off the tick grid, not positive, or missing, with a typed 400', async () => {
    const limit = { ...marketBuy, type: 'limit', clientOrderId: 'gw-lim-bad' };
    const off = expectTypedError(await post('/api/orders', f.keys.tradeA, { ...limit, price: 95.555 }), 400);
    expect(off.error).toEqual({
      code: 'PRICE_OFF_TICK',
      message: 'price must be a multiple of the tick size 0.01',
    });
    for (const price of [0, -1, '95.5', Number.MAX_VALUE]) {
      expectTypedError(
        await post('/api/orders', f.keys.tradeA, { ...limit, price }),
        400,
        'VALIDATION_FAILED',
      );
    }
    expectTypedError(await post('/api/orders', f.keys.tradeA, limit), 400, 'VALIDATION_FAILED');
    expectTypedError(
      await post('/api/orders', f.keys.tradeA, { ...limit, price: 95.5, instrumentId: 'NOPE' }),
      400,
      'UNKNOWN_INSTRUMENT',
    );
    expect(f.engine.order('gw-lim-bad')).toBeUndefined();
  });

  it('DELETE /api/orders/:id cancels an open order of the key’s account only', async () => {
    const limit = { ...marketBuy, type: 'limit', price: 50, clientOrderId: 'gw-limit' };
    expect((await post('/api/orders', f.keys.tradeA, limit)).statusCode).toBe(201);
    const open = (await get('/api/accounts/acct-a/orders?open=true', f.keys.readA)).json() as {
      orders: { clientOrderId: string }[];
    };
    expect(open.orders.map((o) => o.clientOrderId)).toEqual(['gw-limit']);
    // key B cannot cancel A's order, neither naming A (404 account) nor naming B (404 order)
    const del = (key: string, url: string, payload?: object) =>
      f.app.inject({ method: 'DELETE', url, headers: auth(key), ...(payload ? { payload } : {}) });
    expectTypedError(await del(f.keys.tradeB, '/api/orders/gw-limit?accountId=acct-a'), 404);
    expectTypedError(await del(f.keys.tradeB, '/api/orders/gw-limit?accountId=acct-b'), 404);
    expectTypedError(await del(f.keys.tradeA, '/api/orders/gw-limit'), 400);
    expectTypedError(
      await del(f.keys.tradeA, '/api/orders/gw-limit?accountId=acct-a', { accountId: 'acct-a' }),
      400,
    );
    expect(f.engine.order('gw-limit')?.status).not.toBe('canceled');
    const ok = await del(f.keys.tradeA, '/api/orders/gw-limit', { accountId: 'acct-a' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ canceled: true, clientOrderId: 'gw-limit' });
    expect(f.engine.order('gw-limit')?.status).toBe('canceled');
    expectTypedError(await del(f.keys.tradeA, '/api/orders/gw-limit?accountId=acct-a'), 404);
  });

  it('GET /api/strategies and POST start|stop (admin): stop pauses the engine’s strategy, start resumes it', async () => {
    expect((await get('/api/strategies', f.keys.readA)).json()).toEqual({
      strategies: [{ id: 'sma', status: 'running', symbols: ['BTCUSD'] }],
    });
    const seen = f.strategy.bars;
    expect((await post('/api/strategies/sma/stop', f.keys.adminAll)).json()).toEqual({
      id: 'sma',
      running: false,
      status: 'paused',
    });
    expect(f.engine.strategyStatus('sma')).toBe('paused');
    f.engine.processBar(bar('BTCUSD', 101));
    expect(f.strategy.bars).toBe(seen);
    expect((await get('/api/strategies', f.keys.readA)).json()).toMatchObject({
      strategies: [{ status: 'paused' }],
    });
    const started = await post('/api/strategies/sma/start', f.keys.adminAll, {});
    expect(started.json()).toEqual({ id: 'sma', running: true, status: 'running' });
    f.engine.processBar(bar('BTCUSD', 102));
    expect(f.strategy.bars).toBe(seen + 1);
    expectTypedError(await post('/api/strategies/nope/start', f.keys.adminAll), 404);
    expectTypedError(await post('/api/strategies/sma/start', f.keys.adminAll, { force: true }), 400);
    // A strategy that failed (and so stopped) is not started again: 409, and listed as failed.
    f.engine.processBar(bar('BTCUSD', FAILING_PRICE));
    expect(f.engine.strategyStatus('sma')).toBe('stopped');
    expectTypedError(await post('/api/strategies/sma/start', f.keys.adminAll), 409);
    expect((await get('/api/strategies', f.keys.readA)).json()).toMatchObject({
      strategies: [{ status: 'failed' }],
    });
  });

  it('GET /health and /metrics', async () => {
    const health = await get('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', checks: { engine: true } });
    const metrics = await get('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('rxtrade_gateway_http_requests_total');
    expect(metrics.body).toContain('rxtrade_gateway_auth_failures_total');
  });

  it('a dependency that never answers is a 503 after dependencyTimeoutMs, each stalled call on its own, and the next call is served', async () => {
    const trader = mintApiKey({ scopes: ['read', 'trade'], accounts: ['acct-a'] });
    let stall = true;
    const stalling = {
      ...f.backend,
      submitOrder: (accountId: string, request: Parameters<typeof f.backend.submitOrder>[1]) =>
        stall ? new Promise<never>(() => {}) : f.backend.submitOrder(accountId, request),
    };
    const logger = captureLogger();
    const app = createGatewayApp({
      backend: stalling,
      keys: createMemoryKeyStore([trader.record]),
      rateLimit: createMemoryRateLimiter({ capacity: 100, refillPerSecond: 100 }),
      logger,
      dependencyTimeoutMs: 40,
    });
    try {
      const submit = () =>
        app.inject({ method: 'POST', url: '/api/orders', headers: auth(trader.key), payload: marketBuy });
      // Two stalled calls made apart: each ends on its own deadline.
      const first = submit();
      await new Promise((resolve) => setTimeout(resolve, 15));
      const second = submit();
      for (const res of await Promise.all([first, second])) {
        expectTypedError(res, 503, 'UNAVAILABLE');
        expect(res.headers['retry-after']).toBe('2');
      }
      stall = false;
      expect((await submit()).statusCode).toBe(201);
    } finally {
      await app.close();
    }
  });

  it('a plain failure of the rate limiter or key store is a 503, never a 500', async () => {
    const trader = mintApiKey({ scopes: ['read', 'trade'], accounts: ['acct-a'] });
    const app = createGatewayApp({
      backend: f.backend,
      keys: createMemoryKeyStore([trader.record]),
      rateLimit: { capacity: 1, consume: () => Promise.reject(new Error('ECONNRESET')) },
      logger: captureLogger(),
    });
    try {
      const res = await app.inject({ url: '/api/accounts', headers: auth(trader.key) });
      expectTypedError(res, 503, 'UNAVAILABLE');
    } finally {
      await app.close();
    }
  });

  it('POST /api/strategies/:id/stop is 501 NOT_IMPLEMENTED on a backend that cannot pause strategies', async () => {
    const { setStrategyRunning: _, ...cannotPause } = f.backend;
    const admin = mintApiKey({ scopes: ['read', 'admin'], accounts: '*' });
    const app = createGatewayApp({
      backend: cannotPause,
      keys: createMemoryKeyStore([admin.record]),
      rateLimit: createMemoryRateLimiter({ capacity: 10, refillPerSecond: 10 }),
      logger: captureLogger(),
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/strategies/sma/stop',
        headers: auth(admin.key),
      });
      expectTypedError(res, 501, 'NOT_IMPLEMENTED');
    } finally {
      await app.close();
    }
  });

  it('serves no /metrics when metricsRoute is false (it has a port of its own), nor lists it', async () => {
    const app = createGatewayApp({
      backend: f.backend,
      keys: createMemoryKeyStore([]),
      rateLimit: createMemoryRateLimiter({ capacity: 10, refillPerSecond: 10 }),
      logger: captureLogger(),
      metricsRoute: false,
    });
    try {
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(404);
      expect((await app.inject({ url: '/health' })).statusCode).toBe(200);
      const doc = (await app.inject({ url: '/api/openapi.json' })).json() as { paths: object };
      expect(Object.keys(doc.paths)).not.toContain('/metrics');
      expect(Object.keys(doc.paths)).toContain('/health');
    } finally {
      await app.close();
    }
  });

  it('GET /health is 503 when the backend is not ready', async () => {
    const original = f.backend.health;
    (f.backend as { health: typeof original }).health = async () => ({ ok: false, checks: { redis: false } });
    try {
      const res = await get('/health');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'unavailable', checks: { redis: false } });
    } finally {
      (f.backend as { health: typeof original }).health = original;
    }
  });

  it('serves the dashboard files with their types', async () => {
    expect((await get('/')).headers['content-type']).toContain('text/html');
    expect((await get('/app.js')).headers['content-type']).toContain('text/javascript');
    expect((await get('/style.css')).headers['content-type']).toContain('text/css');
    expect((await get('/')).body).not.toMatch(/<script>[^<]/);
  });
});

describe('rate limit (in-memory)', () => {
  it('answers 429 with Retry-After once the bucket is empty, per key', async () => {
    const g = await createFixture({
      rateLimit: createMemoryRateLimiter({ capacity: 3, refillPerSecond: 0.5 }),
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++)
        codes.push((await g.app.inject({ url: '/api/accounts', headers: auth(g.keys.readA) })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const limited = await g.app.inject({ url: '/api/accounts', headers: auth(g.keys.readA) });
      expectTypedError(limited, 429, 'RATE_LIMITED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect((await g.app.inject({ url: '/api/accounts', headers: auth(g.keys.all) })).statusCode).toBe(200);
      // failed authentication has its own bucket per client address, never a key's
      const unauth: number[] = [];
      for (let i = 0; i < 4; i++) unauth.push((await g.app.inject({ url: '/api/accounts' })).statusCode);
      expect(unauth).toEqual([401, 401, 401, 429]);
      expect((await g.app.inject({ url: '/api/accounts', headers: auth(g.keys.tradeA) })).statusCode).toBe(
        200,
      );
    } finally {
      await g.close();
    }
  });
});

describe('risk and kill switch', () => {
  it('kill switch with flatten closes the positions (REDUCING, then HALTED)', async () => {
    const g = await createFixture();
    try {
      const buy = { ...marketBuy, quantity: 3 };
      expect(
        (
          await g.app.inject({
            method: 'POST',
            url: '/api/orders',
            headers: auth(g.keys.tradeA),
            payload: buy,
          })
        ).statusCode,
      ).toBe(201);
      g.engine.processBar(bar('BTCUSD', 100));
      expect(g.engine.positions('acct-a')[0]?.quantity).toBe(3);
      const res = await g.app.inject({
        method: 'POST',
        url: '/api/risk/kill-switch',
        headers: auth(g.keys.adminAll),
        payload: { reason: 'flatten test', flatten: true },
      });
      expect(res.json()).toEqual({ halted: true, flatten: true });
      g.engine.processBar(bar('BTCUSD', 99));
      expect(g.engine.positions('acct-a')[0]?.quantity).toBe(0);
      expect(g.engine.tradingState()).toBe('HALTED');
    } finally {
      await g.close();
    }
  });

  it('GET /api/risk shows ACTIVE; POST /api/risk/kill-switch halts and later orders are denied', async () => {
    const g = await createFixture();
    try {
      const before = (await g.app.inject({ url: '/api/risk', headers: auth(g.keys.readA) })).json() as {
        states: { state: string }[];
      };
      expect(before.states).toEqual([expect.objectContaining({ type: 'RiskStateChanged', state: 'ACTIVE' })]);
      expectTypedError(
        await g.app.inject({
          method: 'POST',
          url: '/api/risk/kill-switch',
          headers: auth(g.keys.adminAll),
          payload: { reason: 'x' },
        }),
        400,
      );
      const res = await g.app.inject({
        method: 'POST',
        url: '/api/risk/kill-switch',
        headers: auth(g.keys.adminAll),
        payload: { reason: 'test halt', flatten: false },
      });
      expect(res.statusCode).toBe(202);
      const after = (await g.app.inject({ url: '/api/risk', headers: auth(g.keys.readA) })).json() as {
        states: { state: string; reason: string }[];
      };
      expect(after.states[0]).toMatchObject({ state: 'HALTED', reason: 'test halt' });
      const denied = await g.app.inject({
        method: 'POST',
        url: '/api/orders',
        headers: auth(g.keys.tradeA),
        payload: marketBuy,
      });
      expectTypedError(denied, 422, 'ORDER_DENIED');
      expect(denied.json()).toMatchObject({ order: { status: 'denied' } });
    } finally {
      await g.close();
    }
  });
});

async function readEvents(
  response: Response,
  until: (events: { event: string; data: unknown }[]) => boolean,
) {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: { event: string; data: unknown }[] = [];
  let buffer = '';
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const chunk = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      end = buffer.indexOf('\n\n');
    }
  }
  await reader.cancel();
  return events;
}

describe('SSE /api/stream', () => {
  it('delivers the caller’s fills (Bearer header), never another account’s', async () => {
    const g = await createFixture();
    try {
      await g.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(g.app.server.address() as AddressInfo).port}`;
      const stream = await fetch(`${base}/api/stream`, { headers: auth(g.keys.readA) });
      expect(stream.status).toBe(200);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      expect(stream.headers.get('x-content-type-options')).toBe('nosniff');
      const eventsPromise = readEvents(stream, (events) => events.some((e) => e.event === 'fill'));
      // B trades first: A's stream must not see it
      const buyB = { ...marketBuy, accountId: 'acct-b', clientOrderId: 'b-1' };
      expect(
        (
          await g.app.inject({
            method: 'POST',
            url: '/api/orders',
            headers: auth(g.keys.tradeB),
            payload: buyB,
          })
        ).statusCode,
      ).toBe(201);
      g.engine.processBar(bar('BTCUSD', 102));
      const buyA = { ...marketBuy, clientOrderId: 'a-1' };
      expect(
        (
          await g.app.inject({
            method: 'POST',
            url: '/api/orders',
            headers: auth(g.keys.tradeA),
            payload: buyA,
          })
        ).statusCode,
      ).toBe(201);
      g.engine.processBar(bar('BTCUSD', 103));
      const events = await eventsPromise;
      const fills = events.filter((e) => e.event === 'fill');
      expect(fills).toEqual([
        {
          event: 'fill',
          data: expect.objectContaining({
            type: 'fill',
            accountId: 'acct-a',
            data: expect.objectContaining({ clientOrderId: 'a-1', lastPx: 103 }),
          }),
        },
      ]);
      expect(events.every((e) => (e.data as { accountId?: string }).accountId !== 'acct-b')).toBe(true);
      expect(events.some((e) => e.event === 'risk')).toBe(true);
    } finally {
      await g.close();
    }
  });

  it('ends open streams when the app closes (app.close() does not hang on them)', async () => {
    const g = await createFixture();
    let closed = false;
    try {
      await g.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(g.app.server.address() as AddressInfo).port}`;
      const stream = await fetch(`${base}/api/stream`, { headers: auth(g.keys.readA) });
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      await g.close();
      closed = true;
      let done = false;
      while (!done) done = (await reader.read()).done;
      expect(done).toBe(true);
    } finally {
      if (!closed) await g.close();
    }
  });

  it('accepts a single-use stream token instead of the header; never the API key in the URL', async () => {
    const g = await createFixture();
    try {
      await g.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(g.app.server.address() as AddressInfo).port}`;
      const { token, expiresInMs } = (await (
        await fetch(`${base}/api/stream-token`, { method: 'POST', headers: auth(g.keys.readA) })
      ).json()) as { token: string; expiresInMs: number };
      expect(expiresInMs).toBeLessThanOrEqual(60_000);
      const first = await fetch(`${base}/api/stream?token=${token}`);
      expect(first.status).toBe(200);
      await first.body?.cancel();
      const again = await fetch(`${base}/api/stream?token=${token}`);
      expect(again.status).toBe(401);
      expect((await fetch(`${base}/api/stream?token=${encodeURIComponent(g.keys.readA)}`)).status).toBe(401);
      expect((await fetch(`${base}/api/accounts?token=${token}`)).status).toBe(401);
    } finally {
      await g.close();
    }
  });
});

describe('POST /api/orders: discoverable validation', () => {
  it('names every problem at once with the allowed values, and accepts the common aliases', async () => {
    // What a load-test script sends: no account, no side, other names and spellings.
    const script = await post('/api/orders', f.keys.tradeA, {
      symbol: 'BTCUSD',
      type: 'MARKET',
      volume: 0.1,
    });
    const body = expectTypedError(script, 400, 'VALIDATION_FAILED') as unknown as {
      error: { message: string; problems: { field: string; message: string; allowed?: string[] }[] };
    };
    expect(body.error.problems).toEqual([
      { field: 'accountId', message: 'required (string)' },
      { field: 'side', message: 'must be one of buy, sell', allowed: ['buy', 'sell'] },
    ]);
    expect(body.error.message).toBe(
      'invalid body: accountId: required (string); side: must be one of buy, sell',
    );
    const many = expectTypedError(
      await post('/api/orders', f.keys.tradeA, { ...marketBuy, type: 'twap', quantity: -1, colour: 'red' }),
      400,
      'VALIDATION_FAILED',
    ) as unknown as { error: { problems: { field: string; allowed?: string[] }[] } };
    expect(many.error.problems.map((p) => p.field).sort()).toEqual(['colour', 'quantity', 'type']);
    expect(many.error.problems.find((p) => p.field === 'type')?.allowed).toEqual([
      'market',
      'limit',
      'stop',
      'stopLimit',
    ]);
    const both = expectTypedError(
      await post('/api/orders', f.keys.tradeA, { ...marketBuy, volume: 1 }),
      400,
      'VALIDATION_FAILED',
    );
    expect(both.error.message).toContain('volume is another name for quantity: give one of them');
    const aliased = await post('/api/orders', f.keys.tradeA, {
      accountId: 'acct-a',
      symbol: 'BTCUSD',
      side: 'BUY',
      type: 'MARKET',
      volume: 1,
      clientOrderId: 'gw-alias-1',
    });
    expect(aliased.statusCode).toBe(201);
    expect(aliased.json()).toMatchObject({
      order: {
        clientOrderId: 'gw-alias-1',
        instrumentId: 'BTCUSD',
        side: 'buy',
        type: 'market',
        quantity: 1,
      },
    });
  });
});

describe('POST /api/orders: core’s whole request shape behind the aliases', () => {
  it('takes a bracket with a trailing stop-loss in the aliased shape; its exits work once the entry fills', async () => {
    const res = await post('/api/orders', f.keys.tradeA, {
      account: 'acct-a',
      symbol: 'BTCUSD',
      side: 'BUY',
      orderType: 'MARKET',
      volume: 1,
      clientOrderId: 'gw-br',
      takeProfit: { price: 130 },
      stopLoss: { triggerPrice: 90, trailingAmount: 10 },
    });
    expect(res.statusCode).toBe(201);
    f.engine.processBar(bar('BTCUSD', 100)); // the entry fills: its exits are placed
    expect(f.engine.order('gw-br')).toMatchObject({ status: 'filled' });
    expect(f.engine.order('gw-br-tp')).toMatchObject({
      type: 'limit',
      side: 'sell',
      price: 130,
      status: 'accepted',
    });
    expect(f.engine.order('gw-br-sl')).toMatchObject({
      type: 'stop',
      trailingAmount: 10,
      status: 'accepted',
    });
    f.engine.processBar(bar('BTCUSD', 130)); // the take-profit fills, the stop-loss is canceled
    expect(f.engine.order('gw-br-tp')).toMatchObject({ status: 'filled' });
    expect(f.engine.order('gw-br-sl')).toMatchObject({ status: 'canceled' });
  });

  it('names every problem of a bad bracket at once, and refuses exits off the tick grid', async () => {
    const bad = expectTypedError(
      await post('/api/orders', f.keys.tradeA, {
        ...marketBuy,
        type: 'STOP',
        stopLoss: { price: 90 },
        trailingPercent: 120,
        strategyId: 'sma',
      }),
      400,
      'VALIDATION_FAILED',
    ) as unknown as { error: { problems: { field: string }[] } };
    expect(bad.error.problems.map((p) => p.field).sort()).toEqual([
      'stopLoss.triggerPrice',
      'strategyId',
      'trailingPercent',
    ]);
    // Once every field is well-formed, core's cross-field rules, all at once too.
    const rules = expectTypedError(
      await post('/api/orders', f.keys.tradeA, {
        ...marketBuy,
        type: 'STOP',
        trailingPercent: 5,
        trailingAmount: 1,
        oco: { type: 'limit', price: 90 },
      }),
      400,
      'VALIDATION_FAILED',
    ) as unknown as { error: { problems: { field: string; message: string }[] } };
    expect(rules.error.problems).toEqual([
      { field: 'triggerPrice', message: 'required for stop' },
      { field: 'trailingAmount', message: 'give trailingAmount or trailingPercent, not both' },
    ]);
    const off = expectTypedError(
      await post('/api/orders', f.keys.tradeA, { ...marketBuy, takeProfit: { price: 130.001 } }),
      400,
    );
    expect(off.error).toEqual({
      code: 'PRICE_OFF_TICK',
      message: 'takeProfit.price must be a multiple of the tick size 0.01',
    });
  });
});

describe('GET /api/openapi.json', () => {
  it('lists every route with its scope, the order body with its enums, and the error shape; no key needed', async () => {
    const res = await get('/api/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            security: unknown[];
            requestBody?: {
              content: Record<
                string,
                { schema: { properties: Record<string, { enum?: string[] }>; required: string[] } }
              >;
            };
          }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/orders',
        '/api/risk/kill-switch',
        '/api/accounts/{id}/fills',
        '/api/accounts/{id}/equity',
      ]),
    );
    const order = doc.paths['/api/orders']?.['post'];
    expect(order?.security).toEqual([{ bearer: ['trade'] }]);
    const schema = order?.requestBody?.content['application/json']?.schema;
    expect(schema?.properties['type']?.enum).toEqual(['market', 'limit', 'stop', 'stopLimit']);
    expect(schema?.required).toEqual(
      expect.arrayContaining(['accountId', 'instrumentId', 'side', 'type', 'quantity']),
    );
  });
});
