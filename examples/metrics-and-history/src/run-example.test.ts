import { randomBytes } from 'node:crypto';
import { probeTcp, requireService } from '@rxtrade/core/testing';
import { Pool } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExampleRun, runExample } from './run-example';

const DATABASE_URL = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const available = await requireService('PostgreSQL', () => probeTcp('127.0.0.1', 5432));

describe.skipIf(!available)('metrics-and-history example', () => {
  const schema = `rxtrade_example_test_${randomBytes(4).toString('hex')}`;
  let run: ExampleRun | undefined;
  const lines: string[] = [];

  afterAll(async () => {
    await run?.close();
    const pool = new Pool({ connectionString: DATABASE_URL, max: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  it('stores a backtest in PostgreSQL and serves its metrics', async () => {
    run = await runExample({
      databaseUrl: DATABASE_URL,
      schema,
      port: 0,
      logDestination: { write: (line: string) => void lines.push(line) },
    });
    expect(run.fills).toBeGreaterThan(0);

    const text = await (await fetch(run.metricsUrl)).text();
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(sample('rxtrade_trades_total\\{strategy="sma-cross",symbol="SPX"\\}')).toBe(run.fills);
    expect(sample('rxtrade_bars_total\\{symbol="SPX"\\}')).toBe(5_105);
    expect(sample('rxtrade_equity\\{account="main"\\}')).toBeGreaterThan(0);

    const stored = await run.history.runs.get(run.runId);
    expect(stored?.status).toBe('completed');
    expect(stored?.stats).toMatchObject({ totalReturn: run.totalReturn });
    expect(await run.history.fills.list(run.runId)).toHaveLength(run.fills);
    expect(await run.history.closedTrades.list(run.runId)).toHaveLength(run.closedTrades);
    expect(await run.history.bars.count('SPX')).toBe(5_105);
    expect(lines.some((l) => l.includes('"msg":"backtest stored"'))).toBe(true);
  });
});
