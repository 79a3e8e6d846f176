import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeBinance } from '@rxtrade/ccxt/testing';
import { ATTRIBUTION_PARTS, parseUnits, type ShadowReport } from '@rxtrade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rxtrade, startRxtrade } from './test-fixtures/run-cli';

/**
 * `rxtrade paper` the way docs/guides/paper-trading.md shows it, against a local fake of Binance
 * (nothing leaves the machine): 1-second bars so a run takes seconds.
 */
const STACK = /^\s+at /m;
let fake: FakeBinance;
beforeAll(async () => {
  fake = await FakeBinance.start();
});
afterAll(async () => {
  await fake.close();
});

const live = (...more: string[]): string[] => [
  'paper',
  '--strategy',
  'packages/cli/src/test-fixtures/warm-flip.ts',
  '--symbol',
  'BTC/USDT',
  '--timeframe',
  '1s',
  '--poll-ms',
  '200',
  '--api-url',
  fake.url,
  ...more,
];

describe('rxtrade paper', () => {
  it('warms up from history, fills on the simulated venue, stops at --max-bars; no order reaches the exchange', async () => {
    const run = await rxtrade(live('--warmup', '3', '--max-bars', '4'));
    expect(run.err).toMatch(
      /paper trading WarmFlip on BTCUSDT 1s bars from binance, orders simulated, warmed up with 3 bars/,
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Stopped \(--max-bars 4\)/);
    expect(run.out).toMatch(/bars {8}4 live, 3 warm-up/);
    // Buy, sell, buy, sell: one fill a bar after the first, each line with date and time.
    expect(run.out.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}(BUY |SELL) 0\.01 BTCUSDT @ /gm)?.length).toBe(
      3,
    );
    expect(fake.requests.some((r) => r.path === '/api/v3/order')).toBe(false);
  });

  it('without warm-up the strategy sees cold indicators (it throws here): exit 2, the reason on stderr', async () => {
    const run = await rxtrade(live('--max-bars', '2'));
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/strategy WarmFlip threw in onBar and was stopped: SMA\(3\) not warm/);
    expect(run.err).not.toMatch(STACK);
  });

  it('Ctrl-C stops cleanly: summary printed, exit code 0', async () => {
    const running = startRxtrade(live('--warmup', '3'));
    try {
      await running.waitFor(/BUY {2}0\.01 BTCUSDT/);
    } finally {
      running.child.kill('SIGINT');
    }
    const run = await running.done;
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Stopped \(Ctrl-C\)\.\n {2}bars {8}\d+ live, 3 warm-up\n {2}fills {7}[1-9]/);
    expect(run.err).not.toMatch(STACK);
  });

  it('--testnet --orders exchange sends the orders to the exchange with the keys from the environment', async () => {
    const before = fake.requests.filter((r) => r.path === '/api/v3/order').length;
    const env = { RXTRADE_API_KEY: fake.apiKey, RXTRADE_API_SECRET: fake.secret };
    const run = await rxtrade(live('--warmup', '3', '--max-bars', '3', '--testnet', '--orders', 'exchange'), {
      env,
    });
    expect(run.err).toMatch(/\(testnet\), orders on the testnet/);
    expect(run.code).toBe(0);
    const orders = fake.requests.filter((r) => r.path === '/api/v3/order' && r.method === 'POST');
    expect(orders.length - before).toBeGreaterThanOrEqual(2);
  });

  it('replays a file at --speed bars a second, warming up on its first bars', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-paper-'));
    const rows = ['time,open,high,low,close,volume'];
    for (let i = 0; i < 8; i++)
      rows.push(`2024-01-0${1 + i},${100 + i},${101 + i},${99 + i},${100 + i},1000`);
    await writeFile(join(dir, 'abc.csv'), rows.join('\n'));
    const run = await rxtrade([
      'paper',
      '--strategy',
      'packages/cli/src/test-fixtures/warm-flip.ts',
      '--params',
      '{"quantity":1}',
      '--data',
      join(dir, 'abc.csv'),
      '--speed',
      '1000',
      '--warmup',
      '3',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/Stopped \(end of the data\)\.\n {2}bars {8}5 live, 3 warm-up\n {2}fills {7}4/);
    expect(run.out).toMatch(/^2024-01-05 00:00:00 {2}BUY {2}1 ABC @ 104/m);
  });

  it('a strategy with a resampled timeframe: the warm-up completes its first hour, the live minutes trade on the next ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-paper-'));
    const rows = ['time,open,high,low,close,volume'];
    const t0 = Date.UTC(2024, 0, 2, 9);
    // 09:00 and 10:00 rise by a cent a minute, 11:00 falls; one bar at 12:00.
    for (let m = 0; m <= 180; m++) {
      const hour = Math.floor(m / 60);
      const price = m === 180 ? 101 : hour < 2 ? 100 + hour + (m % 60) / 100 : 102 - (m % 60) / 100;
      rows.push(`${t0 + m * 60_000},${price},${price + 0.05},${price - 0.05},${price},10`);
    }
    await writeFile(join(dir, 'abc.csv'), rows.join('\n'));
    const run = await rxtrade([
      'paper',
      '--strategy',
      'packages/cli/src/test-fixtures/hourly-direction.ts',
      '--data',
      join(dir, 'abc.csv'),
      '--speed',
      '100000',
      '--warmup',
      '60',
    ]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(
      /Stopped \(end of the data\)\.\n {2}bars {8}121 live, 60 warm-up\n {2}fills {7}2/,
    );
    // 10:00 rose (101 -> 101.59): bought at 10:59, filled at 11:00's open; 11:00 fell: sold at 11:59.
    expect(run.out).toMatch(/^2024-01-02 11:00:00 {2}BUY {2}1 ABC @ 102\b/m);
    expect(run.out).toMatch(/^2024-01-02 12:00:00 {2}SELL 1 ABC @ 101\b/m);
  });

  it('--shadow: the simulated venue beside the paper venue on a replay; each order explained, to the cent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-paper-'));
    const rows = ['time,open,high,low,close,volume'];
    for (let i = 0; i < 8; i++)
      rows.push(`2024-01-0${1 + i},${100 + i},${101 + i},${99 + i},${100 + i},1000`);
    await writeFile(join(dir, 'abc.csv'), rows.join('\n'));
    const run = await rxtrade([
      'paper',
      '--strategy',
      'packages/cli/src/test-fixtures/warm-flip.ts',
      '--params',
      '{"quantity":1}',
      '--data',
      join(dir, 'abc.csv'),
      '--speed',
      '1000',
      '--warmup',
      '3',
      '--slippage-bps',
      '10',
      '--shadow',
      join(dir, 'out'),
    ]);
    expect(run.code).toBe(0);
    // The paper venue slips 10 bp (buy at 104.11 for an open of 104); the shadow fills at the open.
    expect(run.out).toMatch(/^2024-01-05 00:00:00 {2}BUY {2}1 ABC @ 104\.11/m);
    expect(run.out).toMatch(
      /shadow {6}5 orders: 4 matched, 0 partial, 0 missed, 0 extra, 1 unfilled\n {14}real − simulated P&L -0\.44 USD\n/,
    );
    const report = JSON.parse(await readFile(join(dir, 'out', 'shadow.json'), 'utf8')) as ShadowReport;
    expect(
      report.orders.slice(0, 4).map((o) => [o.side, o.simulated.avgPx, o.real.avgPx, o.attribution.slippage]),
    ).toEqual([
      ['buy', 104, 104.11, '-0.11'],
      ['sell', 105, 104.89, '-0.11'],
      ['buy', 106, 106.11, '-0.11'],
      ['sell', 107, 106.89, '-0.11'],
    ]);
    // Filled on the bar it was matched on, whatever the clock said: no latency.
    expect(report.totals['USD']).toMatchObject({ slippage: '-0.44', latency: '0.00', total: '-0.44' });
    // The last order was still working when the data ended: reported as it stood.
    expect(report.orders[4]).toMatchObject({ outcome: 'unfilled', real: { status: 'accepted' } });
    const html = await readFile(join(dir, 'out', 'shadow.html'), 'utf8');
    expect(html).toContain('Live vs simulated');
  });

  it('--shadow on live bars with simulated orders: two venues with one fill model differ in nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-paper-'));
    const run = await rxtrade(live('--warmup', '3', '--max-bars', '4', '--shadow', dir));
    expect(run.code).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'shadow.json'), 'utf8')) as ShadowReport;
    expect(report.venues).toEqual({ real: 'SIM', simulated: 'SHADOW' });
    expect(report.outcomes.matched).toBeGreaterThanOrEqual(2);
    // The paper venue stamps fills with the wall clock, a bar after the bar they filled on: no latency.
    expect(report.totals['USDT']).toEqual({
      slippage: '0.00',
      latency: '0.00',
      fees: '0.00',
      partialFills: '0.00',
      missedFills: '0.00',
      extraFills: '0.00',
      total: '0.00',
    });
  });

  it('--shadow with --testnet --orders exchange: the exchange’s fills beside the simulated ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-paper-'));
    const env = { RXTRADE_API_KEY: fake.apiKey, RXTRADE_API_SECRET: fake.secret };
    fake.takerSlippageBps = 25;
    try {
      const run = await rxtrade(
        live('--warmup', '3', '--max-bars', '4', '--testnet', '--orders', 'exchange', '--shadow', dir),
        { env },
      );
      expect(run.code).toBe(0);
      const report = JSON.parse(await readFile(join(dir, 'shadow.json'), 'utf8')) as ShadowReport;
      expect(report.venues).toEqual({ real: 'BINANCE', simulated: 'SHADOW' });
      expect(report.orders.length).toBeGreaterThanOrEqual(3);
      // The real side is what the exchange did: its fills are the fake's trades, 25 bp off the market.
      expect(report.orders.filter((x) => x.real.fills > 0).length).toBeGreaterThanOrEqual(2);
      const trades = new Map(fake.orders.map((o) => [o.clientOrderId, o]));
      for (const o of report.orders.filter((x) => x.real.fills > 0)) {
        const at = trades.get(o.clientOrderId);
        expect(at?.executedQty).toBe(o.real.filledQty);
        expect(o.real.avgPx).toBeCloseTo((at?.cummulativeQuoteQty ?? 0) / (at?.executedQty ?? 1), 6);
      }
      // Every total is exactly the sum of its parts.
      for (const t of Object.values(report.totals)) {
        const sum = ATTRIBUTION_PARTS.reduce((n, part) => n + parseUnits(t[part], 12), 0);
        expect(sum).toBe(parseUnits(t.total, 12));
      }
      expect(run.out).toMatch(/shadow {6}\d+ orders: /);
    } finally {
      fake.takerSlippageBps = 0;
    }
  });

  it('mistakes are one or two lines saying what to change', async () => {
    const [noSymbol, notTestnet, badExchange, noKeys] = await Promise.all([
      rxtrade(['paper', '--strategy', 'examples/sma-crossover/src/strategy.ts']),
      rxtrade(live('--orders', 'exchange')),
      rxtrade(live('--exchange', 'binanse')),
      rxtrade(live('--orders', 'exchange', '--testnet'), {
        env: { RXTRADE_API_KEY: '', RXTRADE_API_SECRET: '' },
      }),
    ]);
    expect(noSymbol.err).toMatch(
      /--symbol is required for a live feed \(e\.g\. --symbol BTC\/USDT\), or replay a file with --data/,
    );
    expect(notTestnet.err).toMatch(/add --testnet/);
    expect(badExchange.err).toMatch(/ccxt has no exchange "binanse"; did you mean .*binance/);
    expect(noKeys.err).toMatch(/set RXTRADE_API_KEY and RXTRADE_API_SECRET/);
    for (const run of [noSymbol, notTestnet, badExchange, noKeys]) {
      expect(run.code).toBe(1);
      expect(run.err.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(run.err).not.toMatch(STACK);
    }
  });
});
