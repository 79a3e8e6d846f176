import { type Bar, ManualClock } from '@rxtrade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeExchange, startFake } from '../test/helpers';
import { createCcxtConnector } from './connector';
import { CcxtMarketDataClient } from './market-data-client';
import type { FakeBinance } from './testing/index';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
let fake: FakeBinance;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(T0 + 500);
  fake = await startFake({ now: () => clock.now() });
});
afterEach(async () => {
  await fake.close();
});

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('CcxtMarketDataClient', () => {
  it('reads history as closed bars, oldest first, across pages', async () => {
    const client = new CcxtMarketDataClient({ exchange: fakeExchange(fake), clock });
    const bars = await client.history('BTC/USDT', { timeframe: '1s', from: T0 - 2_500_000, to: T0 });
    expect(bars).toHaveLength(2_500);
    expect(bars[0]?.ts).toBe(T0 - 2_500_000);
    expect(bars.at(-1)?.ts).toBe(T0 - 1_000);
    expect(bars.every((b, i) => i === 0 || b.ts - (bars[i - 1] as Bar).ts === 1_000)).toBe(true);
    expect(bars[0]).toMatchObject({ symbol: 'BTCUSDT' });
    expect(bars.every((b) => b.high >= Math.max(b.open, b.close) && b.low <= Math.min(b.open, b.close))).toBe(
      true,
    );
  });

  it('polls live bars: each closed bar once, in order, never the one still forming', async () => {
    const client = new CcxtMarketDataClient({ exchange: fakeExchange(fake), clock, pollIntervalMs: 20 });
    const seen: Bar[] = [];
    const sub = client.bars$('BTCUSDT', '1s').subscribe((b) => seen.push(b));
    await until(() => seen.length === 1);
    expect(seen[0]?.ts).toBe(T0 - 1_000); // the latest closed bar
    clock.advance(3_000); // three more bars closed
    await until(() => seen.length === 4);
    await new Promise((r) => setTimeout(r, 100)); // more polls, nothing new
    sub.unsubscribe();
    expect(seen.map((b) => b.ts - T0)).toEqual([-1_000, 0, 1_000, 2_000]);
    await new Promise((r) => setTimeout(r, 50)); // a poll in flight at unsubscribe may still land
    const polls = fake.requestsTo('GET', '/api/v3/klines').length;
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.requestsTo('GET', '/api/v3/klines').length).toBe(polls); // unsubscribed: polling stopped
  });

  it('keeps polling through a failed poll', async () => {
    fake.fault({ path: '/api/v3/klines', fault: { kind: 'error5xx' }, times: 2 });
    const client = new CcxtMarketDataClient({ exchange: fakeExchange(fake), clock, pollIntervalMs: 10 });
    const seen: Bar[] = [];
    const sub = client.bars$('BTCUSDT', '1s').subscribe((b) => seen.push(b));
    await until(() => seen.length === 1);
    sub.unsubscribe();
  });

  it('the connector gives instruments with the exchange grid, and refuses an unknown market', async () => {
    const connector = createCcxtConnector({ exchange: fakeExchange(fake), symbols: ['BTC/USDT'] });
    expect(await connector.instruments()).toEqual([
      expect.objectContaining({ id: 'BTCUSDT', tickSize: 0.01, lotSize: 0.00001, minNotional: 5 }),
    ]);
    const bad = createCcxtConnector({ exchange: fakeExchange(fake), symbols: ['NOPE/USDT'] });
    await expect(bad.instruments()).rejects.toMatchObject({ code: 'UNKNOWN_INSTRUMENT' });
    expect(() => createCcxtConnector({ exchange: fakeExchange(fake), symbols: [] })).toThrow(
      /invalid ccxt connector options/,
    );
  });
});
