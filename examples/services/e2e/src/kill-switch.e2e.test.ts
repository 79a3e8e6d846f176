import { describe, expect, it } from 'vitest';
import { symbolNames } from '../../shared/src/replay-data';
import { fleetServersUp, suiteFleet, until } from './support';

const SYMBOLS = 3;
const BARS = 1_500;
const ACCOUNTS = ['acc-1', 'acc-2'];
/** Traded by no strategy: the test opens a position here itself, so the kill switch must close it. */
const UNTRADED = 'SPX2';
const TRADED = symbolNames(SYMBOLS).filter((s) => s !== UNTRADED);
const OPENED = 3;

const up = await fleetServersUp();

const prefix = `kill${Date.now().toString(36)}${process.pid}`;

interface Position {
  readonly instrumentId: string;
  readonly quantity: number;
}
interface OrderView {
  readonly clientOrderId: string;
  readonly instrumentId: string;
  readonly status: string;
  readonly side: string;
  readonly filledQty: number;
}

/**
 * The kill switch across the fleet, pressed three times at once through the gateway while the
 * replay runs and the strategies hold positions (defect 4: concurrent kill switches used to flip every
 * position to −2×): every account goes HALTED, open orders are canceled, each position is closed
 * once by the risk role's flatten (core's killSwitch and flattenRequests; a second flatten while the
 * first one's orders work is denied REDUCING_ONLY), and from then on positions stay flat and every
 * new order is denied TRADING_HALTED. Everything is read through the API (the risk role's read model).
 * The strategies trade two symbols; on the third the test opens a position of its own through the API,
 * which nothing but the switch can close: the proof that the flatten acts, whatever the strategies did.
 */
describe.skipIf(!up)('kill switch through the fleet', () => {
  const f = suiteFleet(prefix, {
    strategyReplicas: 2,
    env: {
      SYMBOLS: String(SYMBOLS),
      BARS: String(BARS),
      BAR_INTERVAL_MS: '20',
      ACCOUNTS: ACCOUNTS.map((a, i) => `${a}:${i + 1}`).join(','),
      STRATEGIES: JSON.stringify([
        {
          id: 'sma',
          module: 'examples/sma-crossover/src/strategy.ts',
          params: { fast: 10, slow: 30, quantity: 10 },
          symbols: TRADED,
        },
      ]),
    },
  });
  const { api } = f;

  const positions = async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const a of ACCOUNTS) {
      const res = await api<{ positions: Position[] }>(`/api/accounts/${a}/positions?limit=1000`);
      for (const s of symbolNames(SYMBOLS))
        out.set(`${a}:${s}`, res.body.positions?.find((p) => p.instrumentId === s)?.quantity ?? 0);
    }
    return out;
  };
  const orders = async (accountId: string, open = false): Promise<OrderView[]> => {
    const out: OrderView[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=1000${open ? '&open=true' : ''}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api<{ orders: OrderView[]; nextCursor: string | null }>(
        `/api/accounts/${accountId}/orders?${query}`,
      );
      out.push(...page.body.orders);
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    return out;
  };
  const fillCount = async (): Promise<number> => {
    let n = 0;
    for (const a of ACCOUNTS) {
      const res = await api<{ fills: unknown[] }>(`/api/accounts/${a}/fills?limit=1000`);
      n += res.body.fills.length;
    }
    return n;
  };

  /** The positions still open, each with its instrument's last orders: what a failure shows. */
  const openDetail = async (): Promise<string> => {
    const detail = [];
    for (const [key, quantity] of await positions()) {
      if (quantity === 0) continue;
      const [accountId, instrumentId] = key.split(':') as [string, string];
      const history = (await orders(accountId)).filter((o) => o.instrumentId === instrumentId);
      detail.push({ key, quantity, orders: history.slice(-6) });
    }
    return JSON.stringify(detail);
  };

  it('three concurrent kill switches: halt, cancel, flatten every position once, keep it flat', async () => {
    for (const accountId of ACCOUNTS) {
      const opened = await api<{ order: { status: string } }>('/api/orders', {
        method: 'POST',
        body: JSON.stringify({
          accountId,
          instrumentId: UNTRADED,
          side: 'buy',
          type: 'market',
          quantity: OPENED,
        }),
      });
      expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    }
    await until("open positions in both accounts, the strategies' and the test's own", async () => {
      const open = [...(await positions()).entries()].filter(([, q]) => q !== 0).map(([k]) => k);
      return ACCOUNTS.every(
        (a) => open.includes(`${a}:${UNTRADED}`) && TRADED.some((s) => open.includes(`${a}:${s}`)),
      );
    });
    expect([...(await positions()).entries()].filter(([k]) => k.endsWith(`:${UNTRADED}`))).toEqual(
      ACCOUNTS.map((a) => [`${a}:${UNTRADED}`, OPENED]),
    );

    const kills = await Promise.all(
      [1, 2, 3].map((n) =>
        api<{ halted: boolean }>('/api/risk/kill-switch', {
          method: 'POST',
          body: JSON.stringify({ reason: `e2e flatten ${n}`, flatten: true }),
        }),
      ),
    );
    expect(kills.map((k) => k.status)).toEqual([202, 202, 202]);
    await until('every account HALTED', async () => {
      const risk = await api<{ states: { state: string }[] }>('/api/risk');
      return (
        risk.body.states.length === ACCOUNTS.length && risk.body.states.every((s) => s.state === 'HALTED')
      );
    });

    // Flattening orders fill at the next bar of their symbol; a flipped position would be −1× or −2×.
    await until(
      'flat positions',
      async () => [...(await positions()).values()].every((q) => q === 0),
      30_000,
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${await openDetail()}`);
    });

    const order = { accountId: 'acc-1', instrumentId: 'SPX0', side: 'buy', type: 'market', quantity: 1 };
    const denied = await api<{ error: { code: string }; reason: string; order: { status: string } }>(
      '/api/orders',
      { method: 'POST', body: JSON.stringify(order) },
    );
    expect(denied.status).toBe(422);
    expect(denied.body).toMatchObject({ error: { code: 'ORDER_DENIED' }, reason: 'TRADING_HALTED' });

    // The strategies keep trying while bars go on: all denied, nothing more reaches the venue.
    const fillsAtFlat = await fillCount();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(
      [...(await positions()).values()].every((q) => q === 0),
      await openDetail(),
    ).toBe(true);
    expect(await fillCount(), 'no fill after the flatten').toBe(fillsAtFlat);

    // Each instrument is flattened once: the first switch's order works, the others' are denied
    // REDUCING_ONLY. It ends filled, or — when the strategy's own order, working at the kill, filled
    // before its cancel landed and closed the position — canceled with nothing left to reduce (flatten
    // orders are reduce-only: never a flip). The strategies' positions may have moved between the read
    // above and the kill (a bar every 20 ms); the test's own position on UNTRADED cannot, so its
    // flatten is exact: one order, filled, selling what the test bought.
    for (const a of ACCOUNTS) {
      expect(await orders(a, true)).toEqual([]);
      const flattening = (await orders(a)).filter((o) => o.clientOrderId.startsWith('flatten:'));
      for (const s of symbolNames(SYMBOLS)) {
        const sent = flattening.filter((o) => o.instrumentId === s && o.status !== 'denied');
        expect(sent.length, `${a} ${s}: ${JSON.stringify(flattening)}`).toBeLessThanOrEqual(1);
        expect(sent.every((o) => o.status === 'filled' || o.status === 'canceled')).toBe(true);
      }
      const own = flattening.filter((o) => o.instrumentId === UNTRADED && o.status !== 'denied');
      expect(
        own.map(({ side, status, filledQty }) => ({ side, status, filledQty })),
        a,
      ).toEqual([{ side: 'sell', status: 'filled', filledQty: OPENED }]);
    }
  });
});
