import { randomBytes } from 'node:crypto';
import { FakeBinance } from '@rxtrade/ccxt/testing';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { createPostgresHistory } from '@rxtrade/postgres';
import { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rxtrade } from './test-fixtures/run-cli';

/**
 * `rxtrade download --out postgres://…` the way its --help and docs/guides/importing-data.md show it:
 * a local fake of Binance, the machine's real PostgreSQL (trust auth, database `test`; override with
 * RXTRADE_PG_URL), a schema of its own.
 */
const URL_ = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const havePostgres = await requireService('PostgreSQL', () => {
  const url = new URL(URL_);
  return probeTcp(url.hostname, Number(url.port || 5432));
});

const MIN = 60_000;
const STACK = /^\s+at /m;
const t0 = Math.floor(Date.now() / MIN) * MIN - 5_000 * MIN;
const iso = (ts: number): string => new Date(ts).toISOString().slice(0, 16);
const schema = `rxtrade_cli_${process.pid}_${randomBytes(3).toString('hex')}`;

describe.skipIf(!havePostgres)('rxtrade download into PostgreSQL', () => {
  let fake: FakeBinance;
  beforeAll(async () => {
    fake = await FakeBinance.start();
  });
  afterAll(async () => {
    await fake?.close();
    const pool = new Pool({ connectionString: URL_, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => pool.end());
  });

  const download = (...more: string[]) =>
    rxtrade([
      'download',
      '--symbol',
      'BTC/USDT',
      '--timeframe',
      '1m',
      '--out',
      URL_,
      '--schema',
      schema,
      '--api-url',
      fake.url,
      ...more,
    ]);

  it('creates the schema, writes the range in pages, and a second run continues after the last stored bar', async () => {
    const first = await download('--from', iso(t0), '--to', iso(t0 + 1_500 * MIN));
    expect(first.err).not.toMatch(STACK);
    expect(first.code).toBe(0);
    expect(first.out).toBe(
      `1,500 bars of BTCUSDT 1m written to postgres://postgres@127.0.0.1:5432/test (schema ${schema}, symbol BTCUSDT)\n`,
    );
    expect(first.err).toMatch(
      /BTCUSDT 1m: 1,000 bars, .* \(67 %\)\nrxtrade: BTCUSDT 1m: 1,500 bars, .*\(100 %\)/,
    );

    const requestsBefore = fake.requests.length;
    const second = await download('--to', iso(t0 + 2_200 * MIN)); // no --from: the table knows
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/ends at .*; continuing from there/);
    expect(second.out).toMatch(/^700 bars of BTCUSDT 1m written to .* \(appended\)\n$/);
    const asked = fake.requests.slice(requestsBefore).filter((r) => r.path === '/api/v3/klines');
    expect(Number(asked[0]?.params['startTime'])).toBe(t0 + 1_500 * MIN);

    // What a backtest reads back through @rxtrade/postgres: every minute once, in order.
    const history = createPostgresHistory({ connectionString: URL_, schema });
    try {
      const bars = await history.bars.range({ symbol: 'BTCUSDT' });
      expect(bars.map((b) => b.ts)).toEqual(Array.from({ length: 2_200 }, (_, i) => t0 + i * MIN));
      const fakeBars = await (
        await fetch(`${fake.url}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${t0}&limit=3`)
      ).json();
      expect(bars.slice(0, 3).map((b) => [b.ts, String(b.open), String(b.close)])).toEqual(
        (fakeBars as [number, string, string, string, string][]).map((k) => [
          k[0],
          String(Number(k[1])),
          String(Number(k[4])),
        ]),
      );
    } finally {
      await history.close();
    }

    const third = await download('--to', iso(t0 + 2_200 * MIN));
    expect(third.code).toBe(0);
    expect(third.err).toMatch(/is up to date/);
  });

  it('--as stores under another symbol; a new symbol without --from, or a bad URL, is one or two lines', async () => {
    const renamed = await download('--as', 'BTCUSDT_BINANCE', '--from', iso(t0), '--to', iso(t0 + 10 * MIN));
    expect(renamed.code).toBe(0);
    expect(renamed.out).toMatch(/^10 bars .* symbol BTCUSDT_BINANCE\)\n$/);

    const [noFrom, unreachable, badSchema] = await Promise.all([
      download('--as', 'NEVER_SEEN'),
      rxtrade([
        'download',
        '--symbol',
        'BTC/USDT',
        '--from',
        '2024-01-01',
        '--out',
        'postgres://postgres@127.0.0.1:1/none',
        '--api-url',
        fake.url,
      ]),
      download('--schema', 'Bad-Name', '--from', '2024-01-01'),
    ]);
    expect(noFrom.err).toMatch(
      /--from is required for a new download \(.*symbol NEVER_SEEN\) has no bars yet/,
    );
    expect(unreachable.err).toMatch(/^rxtrade: .*\[ADAPTER_FAILURE\]/);
    expect(badSchema.err).toMatch(/--schema must be a lower-case SQL name/);
    for (const run of [noFrom, unreachable, badSchema]) {
      expect(run.code).toBe(1);
      expect(run.err.trim().split('\n').length).toBeLessThanOrEqual(2);
      expect(run.err).not.toMatch(STACK);
    }
  });
});
