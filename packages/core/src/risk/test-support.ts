import type { AccountConfig } from '../account/account-book';
import { type EngineOptions, TradingEngine } from '../engine/trading-engine';
import type { RiskStateChanged } from '../engine/types';
import type { Bar } from '../model/market-data';
import type { OrderRequest } from '../model/order';
import type { OrderEvent } from '../model/order-events';
import { ManualClock } from '../ports/clock';

/** @internal Test harness for risk tests: an engine on a manual clock with one instrument `SPX`. */
export const MIN = 60_000;
export const DAY = 86_400_000;
export const T0 = Date.UTC(2024, 0, 2, 14, 30);

export const SPX = {
  id: 'SPX',
  pricePrecision: 2,
  quantityPrecision: 0,
  tickSize: 0.01,
  takerFee: 0.001,
  makerFee: 0.001,
} as const;

export const bar = (ts: number, price: number, symbol = 'SPX'): Bar => ({
  symbol,
  ts,
  open: price,
  high: price,
  low: price,
  close: price,
  volume: 1_000_000,
});

export async function riskHarness(options: Partial<EngineOptions> & { accounts?: AccountConfig[] } = {}) {
  const clock = new ManualClock(T0 - MIN);
  const engine = new TradingEngine({
    instruments: [SPX],
    accounts: [{ id: 'acc', initialCash: 100_000 }],
    clock,
    ...options,
  });
  const events: OrderEvent[] = [];
  const states: RiskStateChanged[] = [];
  engine.orderEvents$.subscribe((e) => events.push(e));
  engine.riskState$.subscribe((s) => states.push(s));
  await engine.start();
  let t = T0;
  /** Processes a bar at `price` one minute (or `stepMs`) after the previous one. */
  const tick = (price: number, stepMs = MIN, symbol = 'SPX'): void => {
    clock.set(t);
    engine.processBar(bar(t, price, symbol));
    t += stepMs;
  };
  const send = (request: Partial<OrderRequest>) =>
    engine.submit({
      instrumentId: 'SPX',
      side: 'buy',
      type: 'market',
      quantity: 1,
      ...request,
    } as OrderRequest);
  const lastDenial = () => {
    const e = events.findLast((x) => x.type === 'OrderDenied');
    return e?.type === 'OrderDenied' ? e : undefined;
  };
  return { engine, clock, events, states, tick, send, lastDenial, now: () => t };
}
