import type { Bar } from '@rxtrade/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresHistory, type PostgresHistory } from './postgres-history';
import {
  CONNECTION_STRING,
  codeOf,
  dropSchema,
  loadSp500,
  postgresAvailable,
  uniqueSchema,
} from './test-fixtures/database';

const available = await postgresAvailable();

function* synthetic(symbol: string, count: number, start = 0): Generator<Bar> {
  for (let i = 0; i < count; i++) {
    const p = 100 + (i % 50) / 4;
    yield { symbol, ts: start + i * 60_000, open: p, high: p + 1, low: p - 1, close: p + 0.25, volume: i };
  }
}

describe.skipIf(!available)('BarStore (PostgreSQL)', () => {
  const schema = uniqueSchema();
  let history: PostgresHistory;
  const sp500 = loadSp500();

  beforeAll(async () => {
    history = createPostgresHistory({ connectionString: CONNECTION_STRING, schema, poolSize: 4 });
    await history.migrate();
  });
  afterAll(async () => {
    await history?.close();
    await dropSchema(schema);
  });

  it('ingests the S&P 500 once, however often it is re-ingested (COPY and INSERT)', async () => {
    // The CSV has 5,105 data lines, one per trading day, all distinct dates.
    expect(sp500).toHaveLength(5_105);
    expect(new Set(sp500.map((b) => b.ts)).size).toBe(5_105);
    expect(await history.bars.ingest(sp500)).toEqual({ received: 5_105, inserted: 5_105 });
    expect(await history.bars.ingest(sp500)).toEqual({ received: 5_105, inserted: 0 });
    expect(await history.bars.ingest(sp500, { method: 'insert', batchSize: 700 })).toEqual({
      received: 5_105,
      inserted: 0,
    });
    expect(await history.bars.count('SPX')).toBe(5_105);
  });

  it('counts a bar repeated inside one input once', async () => {
    const bars = [...synthetic('DUP', 100)];
    expect(await history.bars.ingest([...bars, ...bars.slice(0, 10)])).toEqual({
      received: 110,
      inserted: 100,
    });
    expect(await history.bars.count('DUP')).toBe(100);
  });

  it('stores overlapping concurrent ingests once', async () => {
    const bars = [...synthetic('PAR', 20_000)];
    const results = await Promise.all([
      history.bars.ingest(bars.slice(0, 15_000)),
      history.bars.ingest(bars.slice(5_000)),
      history.bars.ingest(bars.slice(2_000, 18_000), { method: 'insert' }),
    ]);
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(20_000);
    expect(await history.bars.count('PAR')).toBe(20_000);
  });

  it('returns a range in ts order with exactly the numbers written', async () => {
    const from = Date.UTC(2008, 8, 1);
    const to = Date.UTC(2008, 11, 31);
    const expected = sp500.filter((b) => b.ts >= from && b.ts < to);
    const bars = await history.bars.range({ symbol: 'SPX', from, to });
    expect(bars.length).toBe(expected.length);
    expect(bars).toEqual(expected);
    expect(bars.every((b, i) => i === 0 || (bars[i - 1]?.ts ?? 0) < b.ts)).toBe(true);
    expect(await history.bars.last('SPX')).toEqual(sp500.at(-1));
    expect(await history.bars.last('NONE')).toBeUndefined();
  });

  it('streams a large range through a cursor in chunks, as a core BarSource', async () => {
    let chunks = 0;
    const seen: Bar[] = [];
    for await (const chunk of history.bars.source({ symbol: 'SPX' }, { batchSize: 1_000 }).chunks()) {
      chunks++;
      expect(chunk.length).toBeLessThanOrEqual(1_000);
      seen.push(...chunk);
    }
    expect(chunks).toBe(6);
    expect(seen).toEqual(sp500);
    // Cold: a second iteration reads again, bar by bar this time.
    let count = 0;
    for await (const _ of history.bars.source({ symbol: 'SPX', from: Date.UTC(2020, 0, 1) })) count++;
    expect(count).toBe(sp500.filter((b) => b.ts >= Date.UTC(2020, 0, 1)).length);
  });

  it('returns the connection when the reader stops early', async () => {
    const { pool } = history;
    for (let i = 0; i < 6; i++) {
      for await (const bar of history.bars.source({ symbol: 'SPX' }, { batchSize: 10 })) {
        if (bar.ts > Date.UTC(2000, 1, 1)) break;
      }
    }
    // Six early exits on a pool of four: had one leaked, this would wait forever.
    expect(await history.bars.count()).toBeGreaterThan(0);
    expect(pool.idleCount).toBe(pool.totalCount);
  });

  it('merges several symbols in ts order', async () => {
    await history.bars.ingest([...synthetic('AAA', 3, 0), ...synthetic('BBB', 3, 30_000)]);
    const bars = await history.bars.range({ symbol: ['AAA', 'BBB'] });
    expect(bars.map((b) => `${b.symbol}@${b.ts}`)).toEqual([
      'AAA@0',
      'BBB@30000',
      'AAA@60000',
      'BBB@90000',
      'AAA@120000',
      'BBB@150000',
    ]);
  });

  it('round-trips symbols COPY must escape, and prices at the edges of a double', async () => {
    const odd: Bar[] = [
      { symbol: 'tab\there', ts: 1, open: 1e-8, high: 1e21, low: 1e-8, close: 0.1, volume: 0 },
      {
        symbol: 'back\\slash\nnew',
        ts: 2,
        open: 123456789.12345678,
        high: 123456790,
        low: 1,
        close: 2,
        volume: 5e-324,
      },
    ];
    expect(await history.bars.ingest(odd)).toEqual({ received: 2, inserted: 2 });
    const back = await history.bars.range({ symbol: odd.map((b) => b.symbol) });
    expect(back).toEqual(odd);
  });

  it('refuses a bad bar with a typed error and writes nothing, even deep into a large COPY', async () => {
    const before = await history.bars.count();
    const bad = (index: number, patch: Partial<Bar>) => {
      const bars = [...synthetic('BAD', 50_000, 10_000_000_000)];
      bars[index] = { ...(bars[index] as Bar), ...patch };
      return bars;
    };
    for (const method of ['copy', 'insert'] as const) {
      expect(await codeOf(history.bars.ingest(bad(49_999, { close: Number.NaN }), { method }))).toBe(
        'INVALID_ARGUMENT',
      );
      expect(await codeOf(history.bars.ingest(bad(0, { high: 1 }), { method }))).toBe('INVALID_ARGUMENT');
      expect(await codeOf(history.bars.ingest(bad(25_000, { ts: 1.5 }), { method }))).toBe(
        'INVALID_ARGUMENT',
      );
    }
    // An async source that fails mid-way is refused the same way.
    async function* failing() {
      yield* synthetic('BAD', 10, 20_000_000_000);
      throw new Error('feed lost');
    }
    expect(await codeOf(history.bars.ingest(failing()))).toBe('ADAPTER_FAILURE');
    expect(await history.bars.count()).toBe(before);
    expect(await history.bars.count('BAD')).toBe(0);
    // The pool is healthy afterwards.
    expect(await history.bars.ingest(synthetic('GOOD', 3))).toEqual({ received: 3, inserted: 3 });
  });
});
