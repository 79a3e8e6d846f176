import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Bar, type ClosedTrade, type Fill, isRxtradeError } from '@rxtrade/core';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { Pool } from 'pg';

/** The machine's PostgreSQL (trust auth, database `test`); override with RXTRADE_PG_URL. */
export const CONNECTION_STRING = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** True when PostgreSQL answers; loud skip outside CI, failure in CI (see requireService). */
export const postgresAvailable = (): Promise<boolean> =>
  requireService('PostgreSQL', () => {
    const url = new URL(CONNECTION_STRING);
    return probeTcp(url.hostname, Number(url.port || 5432));
  });

/** A schema name no other test run uses. */
export const uniqueSchema = (): string => `rxtrade_test_${process.pid}_${randomBytes(4).toString('hex')}`;

export async function dropSchema(schema: string): Promise<void> {
  const pool = new Pool({ connectionString: CONNECTION_STRING, max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await pool.end();
  }
}

/** The S&P 500 daily bars of vega-datasets' sp500-2000.csv (date,open,high,low,close,adjclose,volume), parsed here. */
export function loadSp500(): Bar[] {
  const path = fileURLToPath(
    new URL('../../../../node_modules/vega-datasets/data/sp500-2000.csv', import.meta.url),
  );
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  return lines.slice(1).map((line) => {
    const [date = '', open, high, low, close, , volume] = line.split(',');
    const [y, m, d] = date.split('-').map(Number);
    return {
      symbol: 'SPX',
      ts: Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1),
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
    };
  });
}

/** Fills as a backtest produces them: one buy and one sell per round trip, fees in cents. */
export function backtestFills(count: number): Fill[] {
  return Array.from({ length: count }, (_, i) => ({
    type: 'OrderFilled',
    clientOrderId: `O-${i}`,
    accountId: 'ACC1',
    strategyId: 'sma-cross',
    instrumentId: 'SPX',
    tsEvent: Date.UTC(2020, 0, 1) + i * 86_400_000,
    venueOrderId: `V-${i}`,
    tradeId: `T-${i}`,
    side: i % 2 === 0 ? 'buy' : 'sell',
    lastQty: 10,
    lastPx: 3000.1 + i / 100,
    fee: 0.1,
    feeCurrency: 'USD',
    liquiditySide: 'taker',
  }));
}

export function closedTrades(): ClosedTrade[] {
  return [
    {
      accountId: 'ACC1',
      strategyId: undefined,
      symbol: 'SPX',
      side: 'long',
      entryTs: Date.UTC(2020, 0, 1),
      exitTs: Date.UTC(2020, 0, 2),
      entryPx: 3000.1,
      exitPx: 3000.11,
      quantity: 10,
      pnl: -0.1,
      fees: 0.2,
      returnPct: -0.0000033332222259258,
    },
    {
      accountId: 'ACC1',
      strategyId: 'sma-cross',
      symbol: 'SPX',
      side: 'short',
      entryTs: Date.UTC(2020, 0, 3),
      exitTs: Date.UTC(2020, 0, 4),
      entryPx: 3000.12,
      exitPx: 2999.5,
      quantity: 10,
      pnl: 6,
      fees: 0.2,
      returnPct: 0.0002,
    },
  ];
}

/** The `code` of the RxtradeError a promise rejects with; undefined if it resolves. */
export async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isRxtradeError(error) ? error.code : `not an RxtradeError: ${String(error)}`;
  }
  return undefined;
}
