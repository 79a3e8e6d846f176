import { FakeBinance, pointCcxtAtFakeBinance } from '@rxtrade/ccxt/testing';
import type { Clock } from '@rxtrade/core';
import ccxt from 'ccxt';
import { expect, it } from 'vitest';
import { runPaperTrading } from './paper';

/** Time running 20× faster than the wall clock, shared by the fake venue and the engine. */
function fastClock(speed: number): Clock {
  const start = Date.now();
  return { now: () => start + (Date.now() - start) * speed };
}

it('trades the SMA crossover on live bars from the connector, filled by the simulated venue', async () => {
  const clock = fastClock(20);
  const fake = await FakeBinance.start({ now: () => clock.now() });
  const exchange = new ccxt.binance({ enableRateLimit: false });
  pointCcxtAtFakeBinance(exchange as never, fake);
  const lines: string[] = [];
  try {
    const result = await runPaperTrading({
      exchange,
      durationMs: 40_000,
      clock,
      pollIntervalMs: 20,
      print: (l) => lines.push(l),
    });
    expect(result.bars).toBeGreaterThanOrEqual(30);
    expect(result.fills.length).toBeGreaterThanOrEqual(2);
    expect(result.fills.map((f) => f.side).slice(0, 2)).toEqual(['buy', 'sell']);
    // Paper: the exchange saw market-data requests only, never an order.
    expect(fake.requests.some((r) => r.path === '/api/v3/order')).toBe(false);
    expect(fake.requests.every((r) => r.path === '/api/v3/klines' || r.path === '/api/v3/exchangeInfo')).toBe(
      true,
    );
    expect(lines.filter((l) => /BUY|SELL/.test(l))).toHaveLength(result.fills.length);
  } finally {
    await fake.close();
  }
});
