import { describe, expect, it } from 'vitest';
import { defineInstrument } from '../model/instrument';
import { createOrder, type Order, type OrderRequest, type OrderStatus } from '../model/order';
import { ManualClock } from '../ports/clock';
import type { PreTradeAccount, PreTradeContext } from './pre-trade';
import { RiskEngine } from './risk-engine';
import { TradingHolds } from './trading-holds';

const COIN = defineInstrument({ id: 'COIN', pricePrecision: 2, quantityPrecision: 3 });
const market = { lastPrice: () => 20, instrument: () => COIN };

/** Account `id` holding `qtyUnits` of COIN (quantity units: 1,000 per coin). */
const account = (id: string, qtyUnits: number): PreTradeAccount => ({
  id,
  currency: 'USD',
  currencyPrecision: 2,
  initialCashUnits: 1_000_000,
  cashUnits: 1_000_000,
  equityUnits: 1_000_000,
  positions: new Map([['COIN', { instrument: COIN, qtyUnits, valueUnits: 0, markPxUnits: 0 }]]),
  strategyPositions: new Map(),
});

let seq = 0;
const order = (
  request: Partial<OrderRequest>,
  status: OrderStatus = 'initialized',
  accountId = 'a',
): Order => ({
  ...createOrder(
    { instrumentId: 'COIN', side: 'buy', type: 'market', quantity: 1, ...request } as OrderRequest,
    { clientOrderId: `o${++seq}`, accountId, strategyId: 's', quantityPrecision: 3, ts: 0 },
  ),
  status,
});

describe('RiskEngine', () => {
  it('passes an order on the grid with no holds and no rules', () => {
    const risk = new RiskEngine({ market });
    expect(risk.check(order({}), COIN, account('a', 0))).toBeUndefined();
    expect(risk.holds.state('a')).toBe('ACTIVE');
    // Without a clock, holds are stamped NaN rather than with a made-up time.
    expect(risk.holds.place({ owner: 'x', state: 'REDUCING', reason: 'r' }).since).toBeNaN();
  });

  it('denies everything under a HALTED hold, naming its reason', () => {
    const clock = new ManualClock(5);
    const risk = new RiskEngine({ market, clock });
    risk.holds.place({ owner: 'ops', state: 'HALTED', reason: 'maintenance', accountId: 'a' });
    expect(risk.check(order({ side: 'sell' }), COIN, account('a', 2_000))).toEqual({
      reason: 'TRADING_HALTED',
      message: 'TRADING_HALTED: maintenance',
    });
    // Another account trades on; the hold was stamped with the clock's time.
    expect(risk.check(order({}, 'initialized', 'b'), COIN, account('b', 0))).toBeUndefined();
    expect(risk.holds.list()[0]?.since).toBe(5);
  });

  it('under a REDUCING hold passes only what reduces the position, open orders on its side included', () => {
    const holds = new TradingHolds({ clock: new ManualClock(0) });
    const risk = new RiskEngine({ market, holds });
    expect(risk.holds).toBe(holds);
    holds.place({ owner: 'guard', state: 'REDUCING', reason: 'drawdown' });
    const long2 = account('a', 2_000);
    const denied = {
      reason: 'REDUCING_ONLY',
      message: 'REDUCING_ONLY: only orders that reduce the position (open orders included) are allowed',
    };
    expect(risk.check(order({ side: 'buy' }), COIN, long2)).toEqual(denied);
    expect(risk.check(order({ side: 'sell', quantity: 1.5 }), COIN, long2)).toBeUndefined();
    // An open sell of 1.5 leaves 0.5 to reduce: a second sell of 1 would cross through flat.
    const resting = order({ side: 'sell', quantity: 1.5, type: 'limit', price: 30 }, 'accepted');
    risk.track(resting);
    expect(risk.openOrders('a').get(resting.clientOrderId)).toBe(resting);
    expect(risk.check(order({ side: 'sell', quantity: 1 }), COIN, long2)).toEqual(denied);
    expect(risk.check(order({ side: 'sell', quantity: 0.5 }), COIN, long2)).toBeUndefined();
    // Once the open sell is canceled, it no longer counts.
    risk.track({ ...resting, status: 'canceled' });
    expect(risk.openOrders('a').size).toBe(0);
    expect(risk.check(order({ side: 'sell', quantity: 1 }), COIN, long2)).toBeUndefined();
  });

  it('checks the grid before the rules, then runs the rules in order until one denies', () => {
    const seen: PreTradeContext[] = [];
    const calls: string[] = [];
    const risk = new RiskEngine({
      market,
      rules: [
        (context) => {
          calls.push('first');
          seen.push(context);
          return undefined;
        },
        () => {
          calls.push('second');
          return { reason: 'MAX_NOTIONAL_EXCEEDED', message: 'MAX_NOTIONAL_EXCEEDED: too big' };
        },
        () => {
          calls.push('third');
          return undefined;
        },
      ],
    });
    expect(risk.check(order({ quantity: 0.0005 }), COIN, account('a', 0))?.reason).toBe('QUANTITY_OFF_LOT');
    expect(calls).toEqual([]);
    const resting = order({ type: 'limit', price: 10 }, 'accepted');
    risk.track(resting);
    const checked = order({ quantity: 2 });
    const acc = account('a', -1_500);
    expect(risk.check(checked, COIN, acc)?.reason).toBe('MAX_NOTIONAL_EXCEEDED');
    expect(calls).toEqual(['first', 'second']);
    const context = seen[0] as PreTradeContext;
    expect(context.order).toBe(checked);
    expect(context.instrument).toBe(COIN);
    expect(context.positionQty).toBe(-1.5);
    expect(context.lastPrice).toBe(20);
    expect(context.account).toBe(acc);
    expect([...context.openOrders.values()]).toEqual([resting]);
    expect(context.market).toBe(market);
  });

  it('reads a flat position for an instrument the account never traded', () => {
    const positions: PreTradeContext['positionQty'][] = [];
    const risk = new RiskEngine({ market, rules: [({ positionQty }) => void positions.push(positionQty)] });
    const fresh = { ...account('a', 0), positions: new Map() };
    expect(risk.check(order({}), COIN, fresh)).toBeUndefined();
    expect(positions).toEqual([0]);
  });
});
