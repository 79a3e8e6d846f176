import type { Bar } from '@rxtrade/core';
import { createRedisMarketDataCache } from '@rxtrade/redis';
import { describe, expect, it } from 'vitest';
import { namespace } from '../../shared/src/config';
import { replayBars } from '../../shared/src/replay-data';
import { fleetServersUp, suiteFleet, until } from './support';

const BARS = 1_000;
const SYMBOL = 'SPX0';

const up = await fleetServersUp();

const prefix = `limit${Date.now().toString(36)}${process.pid}`;
const ns = namespace({ FLEET_PREFIX: prefix });

interface OrderView {
  clientOrderId: string;
  status: string;
  type: string;
  price: number;
  tsInit: number;
  avgPx: number;
}

/**
 * Limit orders through the fleet while the replay runs: gateway (tick grid, strict body) → risk →
 * orders.submit → order service, which matches the order against every bar after the one it was
 * placed on until one crosses it (or it is canceled), on the real broker, Redis and PostgreSQL.
 */
describe.skipIf(!up)('limit orders through the fleet', () => {
  const f = suiteFleet(prefix, {
    strategyReplicas: 1,
    env: { SYMBOLS: '1', BARS: String(BARS), BAR_INTERVAL_MS: '20', ACCOUNTS: 'acc-1:1' },
  });
  const { api } = f;
  const post = (body: object) =>
    api<{ order: OrderView; error?: { code: string } }>('/api/orders', {
      method: 'POST',
      body: JSON.stringify(body),
    });
  const orderOf = async (id: string): Promise<OrderView | undefined> =>
    (await api<{ orders: OrderView[] }>('/api/accounts/acc-1/orders')).body.orders.find(
      (o) => o.clientOrderId === id,
    );

  it('works a limit order until a later bar crosses it, lists it open, cancels another, refuses an off-tick price', async () => {
    const bars = (await replayBars({ symbols: 1, bars: BARS })).get(SYMBOL) as Bar[];
    const cache = createRedisMarketDataCache({ client: f.redis }, { prefix: ns.redisPrefix });
    await until('the replay to be under way', async () => (await cache.bars(SYMBOL, 1)).length > 0);
    const last = (await cache.bars(SYMBOL, 1))[0] as Bar;
    const i = bars.findIndex((b) => b.ts === last.ts);
    // A buy limit no bar of the next 5 reaches, but a later one does.
    const price = Math.floor(Math.min(...bars.slice(i + 1, i + 6).map((b) => b.low)) * 100 - 1) / 100;
    expect(bars.slice(i + 6).some((b) => b.low <= price)).toBe(true);
    const base = { accountId: 'acc-1', instrumentId: SYMBOL, side: 'buy', type: 'limit', quantity: 3 };

    const offTick = await post({ ...base, price: price + 0.001, clientOrderId: 'lim-off' });
    expect(offTick.status).toBe(400);
    expect(offTick.body.error?.code).toBe('PRICE_OFF_TICK');
    const far = await post({ ...base, price: Math.round(last.close * 50) / 100, clientOrderId: 'lim-far' });
    expect(far.status).toBe(201);
    const near = await post({ ...base, price, clientOrderId: 'lim-near' });
    expect(near.status).toBe(201);
    expect(near.body.order).toMatchObject({ type: 'limit', price, status: 'submitted' });
    const open = await api<{ orders: OrderView[] }>('/api/accounts/acc-1/orders?open=true');
    expect(open.body.orders.map((o) => o.clientOrderId)).toEqual(
      expect.arrayContaining(['lim-far', 'lim-near']),
    );

    // Filled at the first bar after the one it was placed on that reaches the price: at its open
    // when the bar opens through it, else at the limit.
    await until('the near limit to fill', async () => (await orderOf('lim-near'))?.status === 'filled');
    const placed = (await orderOf('lim-near')) as OrderView;
    const crossing = bars.find((b) => b.ts > placed.tsInit && b.low <= price) as Bar;
    expect(crossing.ts).toBeGreaterThan((bars[i + 5] as Bar).ts);
    const fill = JSON.parse(
      (await f.redis.hget(`${ns.redisPrefix}state:fill:acc-1:T-lim-near`, 'json')) as string,
    ) as { lastPx: number; lastQty: number; tsEvent: number };
    expect(fill).toMatchObject({ lastQty: 3, tsEvent: crossing.ts, lastPx: Math.min(crossing.open, price) });
    expect(placed.avgPx).toBe(fill.lastPx);

    // The far one is still working; cancel it (once it has reached the order service).
    expect((await orderOf('lim-far'))?.status).toBe('submitted');
    let canceled = 0;
    for (let tries = 0; tries < 50 && canceled !== 200; tries++) {
      if (tries > 0) await new Promise((r) => setTimeout(r, 100));
      canceled = (
        await api('/api/orders/lim-far?accountId=acc-1', {
          method: 'DELETE',
          headers: { authorization: f.headers['authorization'] as string },
        })
      ).status;
    }
    expect(canceled).toBe(200);
    expect((await orderOf('lim-far'))?.status).toBe('canceled');
    expect((await api<{ orders: OrderView[] }>('/api/accounts/acc-1/orders?open=true')).body.orders).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ clientOrderId: 'lim-far' })]),
    );
    expect(await f.redis.exists(`${ns.redisPrefix}state:parked:lim-far`)).toBe(0);
    expect(await f.redis.exists(`${ns.redisPrefix}state:parked:lim-near`)).toBe(0);
    expect(await orderOf('lim-off')).toBeUndefined();
    await cache.close();
  });
});
