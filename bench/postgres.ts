/**
 * Bars into and out of PostgreSQL through `@rxtrade/postgres`, in one process and one run:
 *  1. ingest with COPY (staging table + INSERT … ON CONFLICT DO NOTHING), the default;
 *  2. the same ingest again: every bar already stored (the idempotent re-ingest path);
 *  3. ingest with batched multi-row INSERTs (1,000 rows per statement), on other symbols;
 *  4. a range read into memory (`bars.range`) and a streamed read through a cursor (`bars.source`).
 * Each write is one transaction, as the store does it. Synthetic one-minute bars, 10 symbols.
 *
 * Run: npx tsx bench/postgres.ts     (RXTRADE_PG_URL, BENCH_BARS = 1,000,000, BENCH_INSERT_BARS = 200,000)
 * Writes bench/results/postgres.json.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

// Run against the sources (the `rxtrade-source` export condition), whether or not tsx was told to.
if (!import.meta.resolve('@rxtrade/core').endsWith('/src/index.ts')) {
  const args = ['--conditions=rxtrade-source', ...process.execArgv, ...process.argv.slice(1)];
  process.exit(spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1);
}

const { createPostgresHistory } = await import('../packages/adapters-postgres/src/index');
const { syntheticBars, table } = await import('./synthetic');

const url = process.env['RXTRADE_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = Number(process.env['BENCH_BARS'] ?? 1_000_000);
const N_INSERT = Number(process.env['BENCH_INSERT_BARS'] ?? 200_000);
const SYMBOLS = 10;
const schema = `rxtrade_bench_${randomBytes(4).toString('hex')}`;

const barsFor = (prefix: string, total: number) =>
  Array.from({ length: SYMBOLS }, (_, s) =>
    syntheticBars(Math.ceil(total / SYMBOLS), { seed: s + 1, symbol: `${prefix}${s}` }),
  ).flat();

const history = createPostgresHistory({ connectionString: url, schema, poolSize: 2 });
interface Row {
  readonly path: string;
  readonly bars: number;
  readonly ms: number;
  readonly barsPerSecond: number;
}
const rows: Row[] = [];
async function measure(path: string, fn: () => Promise<number>): Promise<void> {
  const t0 = performance.now();
  const bars = await fn();
  const ms = performance.now() - t0;
  rows.push({ path, bars, ms, barsPerSecond: (bars / ms) * 1000 });
  console.error(`${path}: ${bars.toLocaleString('en-US')} bars in ${(ms / 1000).toFixed(2)} s`);
}

try {
  await history.migrate();
  const server = (await history.pool.query<{ server_version: string }>('SHOW server_version')).rows[0]
    ?.server_version;
  const copyBars = barsFor('COPY', N);
  const insertBars = barsFor('INS', N_INSERT);

  await measure('ingest, COPY (new bars)', async () => (await history.bars.ingest(copyBars)).inserted);
  await measure('re-ingest, COPY (all already stored)', async () => {
    const result = await history.bars.ingest(copyBars);
    if (result.inserted !== 0) throw new Error(`re-ingest inserted ${result.inserted}`);
    return result.received;
  });
  await measure(
    'ingest, multi-row INSERT × 1,000 (new bars)',
    async () => (await history.bars.ingest(insertBars, { method: 'insert', batchSize: 1_000 })).inserted,
  );
  const symbols = Array.from({ length: SYMBOLS }, (_, s) => `COPY${s}`);
  await measure('range read into memory (bars.range, 10 symbols)', async () => {
    return (await history.bars.range({ symbol: symbols })).length;
  });
  await measure('streamed read through a cursor (bars.source, 10,000 per fetch)', async () => {
    let n = 0;
    for await (const chunk of history.bars.source({ symbol: symbols }).chunks()) n += chunk.length;
    return n;
  });
  await measure('range read, one symbol', async () => (await history.bars.range({ symbol: 'COPY0' })).length);

  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log(`\nPostgreSQL ${server} on 127.0.0.1, Node ${process.version}, ${cpus().length} cores\n`);
  console.log(
    table(
      ['path', 'bars', 'seconds', 'bars/s'],
      rows.map((r) => [r.path, fmt(r.bars), (r.ms / 1000).toFixed(2), fmt(r.barsPerSecond)]),
    ),
  );
  const copy = rows[0]?.barsPerSecond ?? 0;
  const insert = rows[2]?.barsPerSecond ?? 0;
  console.log(
    `\nCOPY is ${(copy / insert).toFixed(1)}× multi-row INSERT; target ≥ 100,000 bars/s: ${copy >= 100_000 ? 'met' : 'MISSED'}`,
  );
  writeFileSync(
    new URL('./results/postgres.json', import.meta.url),
    `${JSON.stringify(
      {
        postgres: { version: server, url: url.replace(/\/\/[^@]*@/, '//…@') },
        node: process.version,
        cores: cpus().length,
        symbols: SYMBOLS,
        rows,
        copyToInsertRatio: copy / insert,
        target: { copyBarsPerSecond: 100_000, met: copy >= 100_000 },
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await history.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
  await history.close();
}
