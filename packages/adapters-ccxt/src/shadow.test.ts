import {
  ATTRIBUTION_PARTS,
  type Bar,
  type Fill,
  isReconcilable,
  parseUnits,
  ShadowExecutionClient,
  type ShadowOrderReport,
  type TradingEngine,
} from '@rxtrade/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeExchange, recordDnsLookups, startFake, usdtEngine } from '../test/helpers';
import { CcxtExecutionClient } from './execution-client';
import { CcxtMarketDataClient } from './market-data-client';
import type { FakeBinance } from './testing/index';

/**
 * The shadow venue beside the ccxt connector on the fake Binance, configured to slip, delay, fill in
 * part and reject: the simulated venue fills the same orders on the same bars, and the report says
 * what each difference cost.
 */

let fake: FakeBinance;
let px = 30_000;
let dns: ReturnType<typeof recordDnsLookups>;
const cleanup: (() => unknown)[] = [];

beforeEach(async () => {
  dns = recordDnsLookups();
  px = 30_000;
  fake = await startFake({ price: () => px });
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  await fake.close();
  dns.restore();
  expect(dns.hosts.filter((h) => h !== '127.0.0.1')).toEqual([]);
});

async function live() {
  const exchange = fakeExchange(fake, { timeoutMs: 3_000 });
  const connector = new CcxtExecutionClient({ exchange, symbols: ['BTCUSDT'], pollIntervalMs: 0 });
  const instruments = await new CcxtMarketDataClient({ exchange }).instruments(['BTCUSDT']);
  const shadow = new ShadowExecutionClient({ real: connector, instruments });
  const engine = usdtEngine({ instruments, execution: shadow });
  const fills: Fill[] = [];
  const reports: ShadowOrderReport[] = [];
  engine.fills$.subscribe((f) => fills.push(f));
  shadow.reports$.subscribe((r) => reports.push(r));
  await engine.start();
  cleanup.push(() => engine.stop());
  const bar = (ts: number, open: number, close = open): void =>
    engine.processBar({
      symbol: 'BTCUSDT',
      ts,
      open,
      high: Math.max(open, close),
      low: Math.min(open, close),
      close,
      volume: 100,
    } satisfies Bar);
  return { engine, shadow, fills, reports, bar };
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
};

const buy = (engine: TradingEngine, clientOrderId: string) =>
  engine.submit({ clientOrderId, instrumentId: 'BTCUSDT', side: 'buy', type: 'market', quantity: 0.01 });

/** Exact sum of an attribution's parts, from its decimal strings. */
function sumOfParts(a: ShadowOrderReport['attribution']): number {
  const scale = 12;
  const total = ATTRIBUTION_PARTS.reduce((n, part) => n + BigInt(parseUnits(a[part], scale)), 0n);
  return Number(total - BigInt(parseUnits(a.total, scale)));
}

describe('shadow venue beside @rxtrade/ccxt on the fake Binance', () => {
  it('slip: the exchange fills 10 bps above the open the simulation filled at', async () => {
    fake.takerSlippageBps = 10;
    const s = await live();
    const t0 = Date.now();
    s.bar(t0 - 60_000, 30_000);
    buy(s.engine, 'slip');
    await until(() => s.fills.length === 1, 'the real fill');
    const real = s.fills[0] as Fill;
    expect(real.lastPx).toBe(30_030);
    s.bar(real.tsEvent - 1, 30_000); // the bar the real fill came in: the simulation fills at its open
    s.bar(real.tsEvent + 1, 30_050);
    expect(s.reports).toHaveLength(1);
    expect(s.reports[0]).toMatchObject({
      outcome: 'matched',
      currency: 'USDT',
      simulated: { avgPx: 30_000, filledQty: 0.01, fees: '0.30' },
      real: { avgPx: 30_030, filledQty: 0.01, fees: '0.3003' },
      attribution: { slippage: '-0.30', latency: '0.00', fees: '-0.0003', total: '-0.3003' },
    });
    expect(sumOfParts(s.reports[0]?.attribution as ShadowOrderReport['attribution'])).toBe(0);
    // Reconciliation reads the real venue through the shadow, as it would without it.
    expect(isReconcilable(s.shadow)).toBe(true);
    expect((await s.shadow.fills?.({ since: 0 }))?.map((f) => f.tradeId)).toEqual([real.tradeId]);
  });

  it('delay: the order reaches the exchange 400 ms late, a bar later, after the market moved', async () => {
    fake.fault({ method: 'POST', path: '/api/v3/order', fault: { kind: 'timeout', ms: 400 } });
    const s = await live();
    const t0 = Date.now();
    s.bar(t0 - 60_000, 30_000);
    buy(s.engine, 'late');
    const sent = Date.now();
    s.bar(sent, 30_000); // the simulation fills at once, at this bar's open
    px = 30_100; // while the order is held, the market moves
    await until(() => s.fills.length === 1, 'the delayed fill');
    const real = s.fills[0] as Fill;
    expect(real.tsEvent - sent).toBeGreaterThanOrEqual(390);
    s.bar(real.tsEvent - 1, 30_100);
    s.bar(real.tsEvent + 1, 30_100);
    expect(s.reports[0]).toMatchObject({
      outcome: 'matched',
      simulated: { avgPx: 30_000, firstFillTs: sent },
      real: { avgPx: 30_100 },
      attribution: { latency: '-1.00', slippage: '0.00', fees: '-0.001', total: '-1.001' },
    });
    expect(s.reports[0]?.delayMs).toBe(real.tsEvent - sent);
  });

  it('partial: the exchange fills half and expires the rest; the missing half is marked at the close', async () => {
    fake.partialFillRatio = 0.5;
    const s = await live();
    const t0 = Date.now();
    s.bar(t0 - 60_000, 30_000);
    buy(s.engine, 'half');
    await until(() => s.engine.order('half')?.status === 'expired', 'the expiry of the rest');
    const real = s.fills[0] as Fill;
    expect(real.lastQty).toBe(0.005);
    s.bar(real.tsEvent - 1, 30_000);
    s.bar(real.tsEvent + 1, 30_000, 30_200);
    expect(s.reports[0]).toMatchObject({
      outcome: 'partial',
      real: { status: 'expired', filledQty: 0.005 },
      simulated: { status: 'filled', filledQty: 0.01 },
      mark: { px: 30_200 },
      attribution: { partialFills: '-1.00', slippage: '0.00', fees: '0.15', total: '-0.85' },
    });
  });

  it('reject: the exchange refuses the order; the simulated fill is missed, and the report is a JSON document', async () => {
    fake.fault({ method: 'POST', path: '/api/v3/order', fault: { kind: 'reject' } });
    const s = await live();
    const t0 = Date.now();
    s.bar(t0 - 60_000, 30_000);
    buy(s.engine, 'refused');
    await until(() => s.engine.order('refused')?.status === 'rejected', 'the rejection');
    s.bar(Date.now(), 30_000, 30_100);
    expect(s.reports[0]).toMatchObject({
      outcome: 'missed',
      real: { status: 'rejected', reason: 'INSUFFICIENT_FUNDS', fills: 0 },
      attribution: { missedFills: '-1.00', fees: '0.30', total: '-0.70' },
    });
    const doc = JSON.parse(JSON.stringify(s.shadow.report()));
    expect(doc).toMatchObject({
      v: 1,
      venues: { real: 'BINANCE', simulated: 'SHADOW' },
      outcomes: { missed: 1 },
      totals: { USDT: { total: '-0.70' } },
    });
  });
});
