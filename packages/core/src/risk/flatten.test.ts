import { describe, expect, it } from 'vitest';
import { defineInstrument } from '../model/instrument';
import { flattenRequests } from './flatten';
import type { PreTradeAccount, StrategyPositionView } from './pre-trade';

const COIN = defineInstrument({ id: 'COIN', pricePrecision: 2, quantityPrecision: 3 });
const GOLD = defineInstrument({ id: 'GOLD', pricePrecision: 2, quantityPrecision: 0 });

const view = (instrument: typeof COIN, qtyUnits: number): StrategyPositionView => ({
  instrument,
  qtyUnits,
  valueUnits: 0,
  markPxUnits: 0,
  costUnits: 0,
  realizedUnits: 0,
  feeUnits: 0,
});

/** An account from its strategies' books (units); the net is their sum plus `unowned`. */
function account(
  strategies: Record<string, Record<string, number>>,
  unowned: Record<string, number> = {},
): PreTradeAccount {
  const instruments = { COIN, GOLD } as const;
  const net = new Map<string, number>(Object.entries(unowned));
  const strategyPositions = new Map<string, Map<string, StrategyPositionView>>();
  for (const [strategyId, books] of Object.entries(strategies)) {
    const mine = new Map<string, StrategyPositionView>();
    for (const [id, units] of Object.entries(books)) {
      mine.set(id, view(instruments[id as keyof typeof instruments], units));
      net.set(id, (net.get(id) ?? 0) + units);
    }
    strategyPositions.set(strategyId, mine);
  }
  const positions = new Map<string, StrategyPositionView>();
  for (const [id, units] of net) positions.set(id, view(instruments[id as keyof typeof instruments], units));
  return {
    id: 'acc',
    currency: 'USD',
    currencyPrecision: 2,
    initialCashUnits: 0,
    cashUnits: 0,
    equityUnits: 0,
    positions,
    strategyPositions,
  };
}

const market = (strategyId: string, instrumentId: string, side: 'buy' | 'sell', quantity: number) => ({
  instrumentId,
  accountId: 'acc',
  strategyId,
  side,
  quantity,
  type: 'market',
});

/** A net flatten's order: it only ever reduces the position (reduce-only). */
const close = (strategyId: string, instrumentId: string, side: 'buy' | 'sell', quantity: number) => ({
  ...market(strategyId, instrumentId, side, quantity),
  reduceOnly: true,
});

describe('flattenRequests', () => {
  it('closes the net position through the strategies holding its side, largest first', () => {
    // Net long 3.5 COIN: a holds 1.5, b holds 2.5, c is short 0.5 (it keeps its hedge).
    const requests = flattenRequests(account({ a: { COIN: 1_500 }, b: { COIN: 2_500 }, c: { COIN: -500 } }));
    expect(requests).toEqual([close('b', 'COIN', 'sell', 2.5), close('a', 'COIN', 'sell', 1)]);
  });

  it('buys back a net short, and leaves flat instruments and strategies alone', () => {
    const requests = flattenRequests(account({ a: { COIN: 0, GOLD: -3 }, b: { GOLD: -2 } }));
    expect(requests).toEqual([close('a', 'GOLD', 'buy', 3), close('b', 'GOLD', 'buy', 2)]);
  });

  it('never closes through a strategy on the other side, however large, nor one that never traded it', () => {
    // Net long 0.5: c's short of 3.5 is larger than any long, but selling through c would grow it.
    const requests = flattenRequests(
      account({ a: { COIN: 3_000 }, b: { COIN: 1_000 }, c: { COIN: -3_500 }, d: { GOLD: 1 } }),
    );
    expect(requests).toEqual([close('a', 'COIN', 'sell', 0.5), close('d', 'GOLD', 'sell', 1)]);
  });

  it('gives what no strategy holds to the fallback strategy', () => {
    expect(flattenRequests(account({ a: { GOLD: 2 } }, { GOLD: 3 }))).toEqual([
      close('a', 'GOLD', 'sell', 2),
      close('kill-switch', 'GOLD', 'sell', 3),
    ]);
    expect(flattenRequests(account({}, { GOLD: -4 }), { fallbackStrategyId: 'ops' })).toEqual([
      close('ops', 'GOLD', 'buy', 4),
    ]);
  });

  it('by strategy: closes every strategy book on its own, hedges included', () => {
    const requests = flattenRequests(account({ a: { COIN: 1_500, GOLD: 0 }, b: { COIN: -500, GOLD: 7 } }), {
      by: 'strategy',
    });
    expect(requests).toEqual([
      market('a', 'COIN', 'sell', 1.5),
      market('b', 'COIN', 'buy', 0.5),
      market('b', 'GOLD', 'sell', 7),
    ]);
  });

  it('returns nothing for a flat account', () => {
    expect(flattenRequests(account({ a: { COIN: 0 } }))).toEqual([]);
    expect(flattenRequests(account({ a: { COIN: 0 } }), { by: 'strategy' })).toEqual([]);
  });
});
