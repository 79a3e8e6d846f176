import { describe, expect, it } from 'vitest';
import { TradingEngine } from '../engine/trading-engine';
import { defineInstrument } from '../model/instrument';
import type { Bar } from '../model/market-data';
import type { Signal } from '../model/signal';
import { ManualClock } from '../ports/clock';
import { BaseStrategy } from '../strategy/base-strategy';
import {
  AccountManager,
  type AccountManagerOptions,
  calculatePositionSizes,
  type RoutingDecision,
  type SizingAccount,
} from './account-manager';

const SPX = { id: 'SPX', pricePrecision: 2, quantityPrecision: 0, takerFee: 0.001, makerFee: 0.001 } as const;
const spx = defineInstrument(SPX);
const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 2);

const signal = (direction: Signal['direction'], extra: Partial<Signal> = {}): Signal => ({
  strategyId: 'trend',
  symbol: 'SPX',
  direction,
  strength: 1,
  stopDistance: undefined,
  tsEvent: 0,
  ...extra,
});

const account = (id: string, extra: Partial<SizingAccount> = {}): SizingAccount => ({
  id,
  sizing: { type: 'fixedFraction', fraction: 0.1 },
  equity: 100_000,
  availableCash: 100_000,
  position: 0,
  ...extra,
});

describe('calculatePositionSizes: one signal, sized per account', () => {
  it('sizes each account by its own model, cash and limits; skips what may not trade', () => {
    const sizes = calculatePositionSizes(
      signal('long'),
      [
        account('a'),
        account('b', { sizing: { type: 'fixedQuantity', quantity: 7 } }),
        account('c', { availableCash: 2_502.5 }), // 10 × 250 + fee 2.50
        account('d', { canTrade: { strategies: ['other'] } }),
        account('e', { limits: { maxPosition: 15 } }),
        account('f', { sizing: undefined }),
        account('g', { position: 3 }),
      ],
      { instrument: spx, price: 250 },
    );
    expect(sizes.map((s) => [s.accountId, s.side, s.quantity, s.reason])).toEqual([
      ['a', 'buy', 40, undefined],
      ['b', 'buy', 7, undefined],
      ['c', 'buy', 10, undefined],
      ['d', undefined, 0, 'NOT_PERMITTED'],
      ['e', 'buy', 15, undefined],
      ['f', undefined, 0, 'NO_SIZING_MODEL'],
      ['g', undefined, 0, 'ALREADY_LONG'],
    ]);
  });

  it('reverses through flat: a short signal on a long position sells the position and the new short', () => {
    const [flip, noShort, flat] = calculatePositionSizes(
      signal('short'),
      [account('a', { position: 12 }), account('b', { position: 12, limits: { allowShort: false } })],
      { instrument: spx, price: 250 },
    ).concat(
      calculatePositionSizes(signal('flat'), [account('c', { position: -5 })], {
        instrument: spx,
        price: 250,
      }),
    );
    expect(flip).toMatchObject({ side: 'sell', quantity: 52, target: -40 });
    expect(noShort).toMatchObject({ side: 'sell', quantity: 12, target: -0, reason: 'SHORT_NOT_ALLOWED' });
    expect(flat).toMatchObject({ side: 'buy', quantity: 5, target: 0 });
  });

  it('uses the signal’s strength and stop distance', () => {
    const [size] = calculatePositionSizes(
      signal('long', { strength: 0.5, stopDistance: 5 }),
      [account('a', { sizing: { type: 'fixedRisk', riskFraction: 0.01 } })],
      { instrument: spx, price: 100 },
    );
    expect(size?.quantity).toBe(100); // 1 % of 100,000 / 5 = 200, × 0.5
  });

  it('reports a sizing input that is missing instead of throwing', () => {
    const [size] = calculatePositionSizes(
      signal('long'),
      [account('a', { sizing: { type: 'volatilityTarget', targetVolatility: 0.1 } })],
      { instrument: spx, price: 100 },
    );
    expect(size?.quantity).toBe(0);
    expect(size?.reason).toMatch(/^SIZING_FAILED: volatilityTarget sizing needs a volatility/);
  });
});

/** Signals `long` on the bars listed in `longOn`, `flat` on those in `flatOn`. */
class Scripted extends BaseStrategy {
  #i = 0;
  constructor(
    id: string,
    readonly script: { longOn: number[]; flatOn?: number[] },
  ) {
    super({ id });
  }
  override onBar(): void {
    if (this.script.longOn.includes(this.#i)) this.signal('long');
    if (this.script.flatOn?.includes(this.#i)) this.signal('flat');
    this.#i++;
  }
}

async function managed(options: AccountManagerOptions, strategies: BaseStrategy<object>[]) {
  const manager = new AccountManager(options);
  const clock = new ManualClock(T0 - DAY);
  const engine = new TradingEngine({ instruments: [SPX], strategies, clock, ...manager.engineOptions() });
  manager.attach(engine);
  const decisions: RoutingDecision[] = [];
  manager.decisions$.subscribe((d) => decisions.push(d));
  await engine.start();
  let i = 0;
  const run = (...closes: number[]): void => {
    for (const close of closes) {
      const ts = T0 + i++ * DAY;
      clock.set(ts);
      const b: Bar = { symbol: 'SPX', ts, open: close, high: close, low: close, close, volume: 1e6 };
      engine.processBar(b);
    }
  };
  return { manager, engine, decisions, run };
}

describe('AccountManager: routing signals across accounts', () => {
  it('routes one strategy’s signal to every account that may take it, each sized and risk-checked', async () => {
    const m = await managed(
      {
        accounts: [
          {
            id: 'big',
            initialCash: 100_000,
            venue: 'ibkr',
            sizing: { type: 'fixedFraction', fraction: 0.5 },
          },
          {
            id: 'small',
            initialCash: 10_000,
            sizing: { type: 'fixedFraction', fraction: 0.5 },
            limits: { maxOrderQuantity: 20 },
          },
          {
            id: 'other',
            initialCash: 10_000,
            sizing: { type: 'fixedQuantity', quantity: 1 },
            canTrade: { strategies: ['x'] },
          },
        ],
      },
      [new Scripted('trend', { longOn: [0], flatOn: [2] })],
    );
    m.run(100);
    expect(
      m.decisions.map((d) => [d.size.accountId, d.size.quantity, d.order?.status, d.size.reason]),
    ).toEqual([
      ['big', 500, 'accepted', undefined],
      ['small', 20, 'accepted', undefined], // 50 by the model, capped at the order limit
      ['other', 0, undefined, 'NOT_PERMITTED'],
    ]);
    m.run(100, 110);
    expect(m.decisions.slice(3).map((d) => [d.size.accountId, d.size.side, d.size.quantity])).toEqual([
      ['big', 'sell', 500],
      ['small', 'sell', 20],
      ['other', undefined, 0],
    ]);
    // Named per strategy and account (`<strategyId>@<accountId>-<n>`), so a fleet's risk role, which
    // holds one account, names them alike.
    expect(m.decisions.flatMap((d) => (d.order ? [d.order.clientOrderId] : []))).toEqual([
      'trend@big-1',
      'trend@small-1',
      'trend@big-2',
      'trend@small-2',
    ]);
    m.run(110);
    const status = m.manager.status();
    expect(status.map((s) => [s.id, s.venue, s.tradingState, s.positions[0]?.quantity ?? 0])).toEqual([
      ['big', 'ibkr', 'ACTIVE', 0],
      ['small', 'SIM', 'ACTIVE', 0],
      ['other', 'SIM', 'ACTIVE', 0],
    ]);
    // Filled at the next bar's open: bought at 100, sold at 110; fees 0.1 % each way.
    expect(m.engine.account('big').equity).toBe(100_000 + 5_000 - 50 - 55);
    m.manager.close();
  });

  it('an account that hits its daily loss halts while another keeps trading', async () => {
    const m = await managed(
      {
        accounts: [
          {
            id: 'a',
            initialCash: 100_000,
            sizing: { type: 'fixedQuantity', quantity: 100 },
            halts: { maxDailyLoss: 500 },
          },
          { id: 'b', initialCash: 100_000, sizing: { type: 'fixedQuantity', quantity: 100 } },
        ],
      },
      [new Scripted('trend', { longOn: [0, 3], flatOn: [2] })],
    );
    const breaches: string[] = [];
    m.manager.breaches$.subscribe((b) => breaches.push(b.message));
    m.run(100, 100, 90); // bought at 100; the drop to 90 loses 1,000 in a day; flat signal on bar 2
    expect(breaches).toEqual(['MAX_DAILY_LOSS: 1,000 > 500 (day start 99,990) (account a)']);
    expect(m.engine.tradingState('a')).toBe('HALTED');
    const flat = m.decisions.filter((d) => d.signal.direction === 'flat');
    expect(flat.map((d) => [d.size.accountId, d.order?.status])).toEqual([
      ['a', 'denied'],
      ['b', 'accepted'],
    ]);
    m.run(90, 95); // b sells at 90; the long signal on bar 3 buys again in b only
    const again = m.decisions.filter((d) => d.signal.direction === 'long').slice(2);
    expect(again.map((d) => [d.size.accountId, d.order?.status, d.size.reason])).toEqual([
      ['a', undefined, 'ALREADY_LONG'], // its flat order was denied: still long
      ['b', 'accepted', undefined],
    ]);
    expect(m.engine.positions().map((p) => [p.accountId, p.quantity])).toEqual([
      ['a', 100],
      ['b', 100],
    ]);
  });

  it('rejects duplicate ids and bad limits with INVALID_CONFIG', () => {
    expect(
      () =>
        new AccountManager({
          accounts: [
            { id: 'a', initialCash: 1 },
            { id: 'a', initialCash: 1 },
          ],
        }),
    ).toThrow(/defined twice/);
    expect(
      () => new AccountManager({ accounts: [{ id: 'a', initialCash: 1, limits: { maxPosition: -1 } }] }),
    ).toThrow(/invalid accounts/);
  });

  it('NOT_PERMITTED: an account refuses orders it may not open, but lets positions close', async () => {
    const m = await managed(
      { accounts: [{ id: 'a', initialCash: 100_000, canTrade: { strategies: ['allowed'] } }] },
      [],
    );
    m.run(100);
    const send = (strategyId: string, side: 'buy' | 'sell') =>
      m.engine.submit({ instrumentId: 'SPX', accountId: 'a', strategyId, side, type: 'market', quantity: 5 })
        .status;
    expect(send('allowed', 'buy')).toBe('accepted');
    expect(send('intruder', 'buy')).toBe('denied');
    m.run(100);
    expect(send('kill-switch', 'sell')).toBe('accepted'); // reduces the account's position
  });
});

describe('per-strategy virtual positions on a shared account', () => {
  class Trader extends BaseStrategy {
    constructor(
      id: string,
      readonly qty: number,
    ) {
      super({ id, symbols: ['SPX'] });
    }
    seen: number[] = [];
    #done = false;
    override onBar(): void {
      this.seen.push(this.position());
      if (this.#done) return;
      this.#done = true;
      if (this.qty > 0) this.buy(this.qty);
      else this.sell(-this.qty);
    }
  }

  it('each strategy sees its own position and PnL; the account sees the net', async () => {
    const a = new Trader('a', 10);
    const b = new Trader('b', -4);
    const m = await managed({ accounts: [{ id: 'shared', initialCash: 100_000 }] }, [a, b]);
    m.run(100, 100, 110);
    expect(a.seen).toEqual([0, 10, 10]);
    expect(b.seen).toEqual([0, -4, -4]);
    const view = (id: string) => {
      const p = m.engine.strategyPositions(id)[0];
      return [p?.quantity, p?.unrealizedPnl, p?.feesPaid];
    };
    expect(view('a')).toEqual([10, 100, 1]); // long 10 from 100 to 110; fee 1.00
    expect(view('b')).toEqual([-4, -40, 0.4]);
    const net = m.engine.positions('shared')[0];
    expect([net?.quantity, net?.unrealizedPnl, net?.feesPaid]).toEqual([6, 60, 1.4]);
    expect(m.engine.account('shared').equity).toBe(100_000 + 60 - 1.4);
  });
});
