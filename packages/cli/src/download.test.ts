import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeBinance } from '@rxtrade/ccxt/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rxtrade } from './test-fixtures/run-cli';

/** `rxtrade download` the way its --help and docs/guides/importing-data.md show it, against a local fake of Binance. */
const MIN = 60_000;
const STACK = /^\s+at /m;
let fake: FakeBinance;
// Whole minutes in the fake's past (its klines go back 100,000 bars).
const t0 = Math.floor(Date.now() / MIN) * MIN - 5_000 * MIN;
const iso = (ts: number): string => new Date(ts).toISOString().slice(0, 16);
beforeAll(async () => {
  fake = await FakeBinance.start();
});
afterAll(async () => {
  await fake.close();
});

const download = (out: string, ...more: string[]) =>
  rxtrade([
    'download',
    '--symbol',
    'BTC/USDT',
    '--timeframe',
    '1m',
    '--out',
    out,
    '--api-url',
    fake.url,
    ...more,
  ]);

const times = async (file: string): Promise<number[]> =>
  (await readFile(file, 'utf8'))
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => Date.parse(l.slice(0, l.indexOf(','))));

describe('rxtrade download', () => {
  it('writes the range in pages with progress; a second run continues after the last bar, without gaps or repeats', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-download-'));
    const out = join(dir, 'data', 'btcusdt-1m.csv');
    const first = await download(out, '--from', iso(t0), '--to', iso(t0 + 1_500 * MIN));
    expect(first.err).not.toMatch(STACK);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^1,500 bars of BTCUSDT 1m written to \S*data\/btcusdt-1m\.csv\n$/);
    expect(first.err).toMatch(
      /BTCUSDT 1m: 1,000 bars, .* \(67 %\)\nrxtrade: BTCUSDT 1m: 1,500 bars, .* \(100 %\)/,
    );
    const head = (await readFile(out, 'utf8')).split('\n').slice(0, 2);
    expect(head[0]).toBe('time,open,high,low,close,volume');
    expect(head[1]).toMatch(new RegExp(`^${iso(t0)}:00\\.000Z,\\d+(\\.\\d+)?,`));

    const requestsBefore = fake.requests.length;
    const second = await download(out, '--to', iso(t0 + 2_200 * MIN));
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/ends at .*; continuing from there/);
    expect(second.out).toMatch(/^700 bars of BTCUSDT 1m written to .* \(appended\)\n$/);
    const ts = await times(out);
    expect(ts).toHaveLength(2_200);
    expect(ts.every((t, i) => t === t0 + i * MIN)).toBe(true);
    // The second run asked only for what the file lacked.
    const asked = fake.requests.slice(requestsBefore).filter((r) => r.path === '/api/v3/klines');
    expect(asked.length).toBeGreaterThan(0);
    expect(Number(asked[0]?.params['startTime'])).toBe(t0 + 1_500 * MIN);

    // Already complete: nothing to fetch.
    const third = await download(out, '--to', iso(t0 + 2_200 * MIN));
    expect(third.code).toBe(0);
    expect(third.err).toMatch(/is up to date/);
  });

  it('a run killed while writing leaves a partial last line: the next run drops it and fetches that bar again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-download-'));
    const out = join(dir, 'bars.csv');
    await download(out, '--from', iso(t0), '--to', iso(t0 + 10 * MIN));
    const text = await readFile(out, 'utf8');
    await writeFile(out, text.slice(0, text.length - 20)); // the last line cut in half
    const again = await download(out, '--to', iso(t0 + 12 * MIN));
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^3 bars /);
    const ts = await times(out);
    expect(ts).toEqual(Array.from({ length: 12 }, (_, i) => t0 + i * MIN));
    // What backtest reads: the file loads as bars.
    const backtest = await rxtrade([
      'backtest',
      '--strategy',
      'examples/sma-crossover/src/strategy.ts',
      '--params',
      '{"fast":2,"slow":3,"quantity":0.01}',
      '--data',
      out,
      '--quantity-precision',
      '5',
      '--no-report',
      '--quiet',
    ]);
    expect(backtest.err).toBe('');
    expect(backtest.code).toBe(0);
  });

  it('mistakes are one or two lines saying what to change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxtrade-download-'));
    const foreign = join(dir, 'other.csv');
    await writeFile(foreign, 'date;price\n2024-01-01;1\n');
    const [noFrom, badTf, notOurs] = await Promise.all([
      download(join(dir, 'new.csv')),
      download(join(dir, 'new.csv'), '--from', '2024-01-01', '--timeframe', 'hourly'),
      download(foreign, '--from', '2024-01-01'),
    ]);
    expect(noFrom.err).toMatch(/--from is required for a new download .* e\.g\. --from 2024-01-01/);
    expect(badTf.err).toMatch(
      /--timeframe must be a count and a unit such as 1m, 5m, 1h or 1d; got "hourly"/,
    );
    expect(notOurs.err).toMatch(/exists and is not a download of rxtrade .* pick another file/);
    for (const run of [noFrom, badTf, notOurs]) {
      expect(run.code).toBe(1);
      expect(run.err.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(run.err).not.toMatch(STACK);
    }
  });
});
