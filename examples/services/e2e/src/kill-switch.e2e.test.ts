import { describe, expect, it } from 'vitest';
import { namespace } from '../../shared/src/config';
import { replayBars, symbolNames } from '../../shared/src/replay-data';
import { fleetServersUp, suiteFleet, until } from './support';

const SYMBOLS = 3;
const BARS = 1_500;
const ACCOUNTS = ['acc-1', 'acc-2'];

const up = await fleetServersUp();

const prefix = `kill${Date.now().toString(36)}${process.pid}`;
const ns = namespace({ FLEET_PREFIX: prefix });
const state = (key: string) => `${ns.redisPrefix}state:${key}`;

/**
 * The kill switch across the fleet, pressed through the gateway while the replay is running and the
 * strategies hold positions: trading halts (in Redis, for every risk replica), waiting orders are
 * canceled, orders still on their way to the venue are canceled there, and flattening orders close
 * every position at the next bar. From then until the replay ends, positions stay flat and every
 * new order is denied.
 */
describe.skipIf(!up)('kill switch through the fleet', () => {
  const f = suiteFleet(prefix, {
    strategyReplicas: 2,
    env: {
      SYMBOLS: String(SYMBOLS),
      BARS: String(BARS),
      BAR_INTERVAL_MS: '20',
      ACCOUNTS: ACCOUNTS.map((a, i) => `${a}:${i + 1}`).join(','),
    },
  });
  const { api } = f;

  const positions = async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const a of ACCOUNTS) {
      for (const s of symbolNames(SYMBOLS)) {
        out.set(`${a}:${s}`, Number((await f.redis.hget(state(`position:${a}:${s}`), 'qty')) ?? 0));
      }
    }
    return out;
  };
  it('halts, cancels, flattens every position and keeps it flat until the replay ends', async () => {
    // Positions opened by the strategies through risk and the order service, mid-replay.
    await until('open positions in both accounts', async () => {
      const open = [...(await positions()).entries()].filter(([, q]) => q !== 0).map(([k]) => k);
      return ACCOUNTS.every((a) => open.some((k) => k.startsWith(`${a}:`)));
    });
    const progress = Number((await f.redis.hget(state('data-progress'), 'nextIndex')) ?? 0);
    expect(progress, 'the replay is still running').toBeLessThan(BARS - 200);

    const kill = await api<{ halted: boolean }>('/api/risk/kill-switch', {
      method: 'POST',
      body: JSON.stringify({ reason: 'e2e flatten', flatten: true }),
    });
    expect(kill.status).toBe(202);
    expect(await f.redis.hget(state('risk-state'), 'state')).toBe('HALTED');

    // Flattening orders fill at the next bar of their symbol.
    await until(
      'flat positions',
      async () => [...(await positions()).values()].every((q) => q === 0),
      30_000,
    );

    // New orders are denied while HALTED, through the API.
    const order = { accountId: 'acc-1', instrumentId: 'SPX0', side: 'buy', type: 'market', quantity: 1 };
    const denied = await api<{ error: { code: string }; order: { status: string } }>('/api/orders', {
      method: 'POST',
      body: JSON.stringify(order),
    });
    expect(denied.status).toBe(422);
    expect(denied.body.error.code).toBe('ORDER_DENIED');
    expect(denied.body.order.status).toBe('denied');

    // The strategies keep signalling to the end of the replay: all denied, nothing reaches the venue.
    const fillsAtFlat = (await f.redis.keys(state('fill:*'))).length;
    await until(
      'the end of the replay',
      async () => (await f.redis.hget(state('data-progress'), 'done')) === '1',
    );
    const universe = await replayBars({ symbols: SYMBOLS, bars: BARS });
    await until('the strategies to finish', async () => {
      for (const [s, bars] of universe) {
        const ts = Number(await f.redis.hget(state(`strategy-progress:sma:${s}`), 'lastTs'));
        if (ts !== bars.at(-1)?.ts) return false;
      }
      return true;
    });
    await new Promise((r) => setTimeout(r, 1_500)); // signals of the last bars through risk
    expect([...(await positions()).values()].every((q) => q === 0)).toBe(true);
    expect((await f.redis.keys(state('fill:*'))).length, 'no fill after the flatten').toBe(fillsAtFlat);

    // The same through the API: HALTED, flat, no open order, and the kill switch's orders filled.
    const risk = await api<{ states: { state: string }[] }>('/api/risk');
    expect(risk.body.states.map((s) => s.state)).toEqual(['HALTED']);
    for (const a of ACCOUNTS) {
      const pos = await api<{ positions: { quantity: number }[] }>(`/api/accounts/${a}/positions`);
      expect(pos.status).toBe(200);
      expect(pos.body.positions.length).toBeGreaterThan(0);
      expect(pos.body.positions.every((p) => p.quantity === 0)).toBe(true);
      const open = await api<{ orders: unknown[] }>(`/api/accounts/${a}/orders?open=true`);
      expect(open.body.orders).toEqual([]);
      const all = await api<{ orders: { strategyId: string; status: string }[] }>(
        `/api/accounts/${a}/orders`,
      );
      const flattening = all.body.orders.filter((o) => o.strategyId === 'kill-switch');
      expect(flattening.length).toBeGreaterThan(0);
      expect(flattening.every((o) => o.status === 'filled')).toBe(true);
      expect(all.body.orders.some((o) => o.status === 'denied')).toBe(true);
    }
  });
});
