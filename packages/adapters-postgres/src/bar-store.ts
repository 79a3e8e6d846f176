import { once } from 'node:events';
import { type Bar, type BarInput, type BarSource, barChunks, barSourceFromChunks } from '@rxtrade/core';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import Cursor from 'pg-cursor';
import { AS_NUMBERS, adapterError, fromMs, inTransaction, numeric, toMs } from './sql';
import { assertBar } from './validate';

/** Options of {@link BarStore.ingest}. */
export interface IngestOptions {
  /**
   * `copy` (default): COPY into a temporary staging table, then one `INSERT … SELECT … ON CONFLICT DO
   * NOTHING`. `insert`: batched multi-row INSERTs, for poolers or proxies that do not pass COPY through.
   */
  readonly method?: 'copy' | 'insert';
  /** Rows per INSERT statement for `method: 'insert'`. Default 1,000 (7 parameters each). */
  readonly batchSize?: number;
}

/** What an ingest did. */
export interface IngestResult {
  /** Bars read from the input. */
  readonly received: number;
  /** Bars that were new; the rest were already stored (same symbol and ts) and left unchanged. */
  readonly inserted: number;
}

/** Which bars to read: one or more symbols, `from` inclusive, `to` exclusive (epoch ms). */
export interface BarQuery {
  readonly symbol: string | readonly string[];
  readonly from?: number;
  readonly to?: number;
}

/** Options of {@link BarStore.source}. */
export interface BarStreamOptions {
  /** Rows fetched per cursor read. Default 10,000. */
  readonly batchSize?: number;
}

/** OHLCV history: idempotent bulk ingest, ordered range reads. */
export interface BarStore {
  /**
   * Stores bars, skipping any already stored for the same symbol and ts (re-ingesting a file is a
   * no-op). All or nothing: every bar is validated, and one bad bar (NaN price, high < low, …) refuses
   * the whole call with `INVALID_ARGUMENT` after writing nothing. One transaction per call.
   */
  ingest(bars: BarInput, options?: IngestOptions): Promise<IngestResult>;
  /** Bars of a range in memory, ordered by ts (then symbol). For large ranges use {@link BarStore.source}. */
  range(query: BarQuery): Promise<Bar[]>;
  /**
   * The bars of a range as a core `BarSource` (cold: every iteration runs the query again), read
   * through a server-side cursor in chunks, so memory stays flat however large the range. Breaking
   * out of the iteration closes the cursor and returns the connection.
   */
  source(query: BarQuery, options?: BarStreamOptions): BarSource;
  /** Number of stored bars, of one symbol or of all. */
  count(symbol?: string): Promise<number>;
  /** The newest stored bar of a symbol (where an incremental collector resumes), or undefined. */
  last(symbol: string): Promise<Bar | undefined>;
}

const COLUMNS = `symbol, ${toMs('ts')} AS ts, open, high, low, close, volume`;
const COPY_CHUNK_CHARS = 1 << 16;

const escapeCopyText = (text: string): string =>
  /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] ?? c)
    : text;

export function createBarStore(pool: Pool, s: string, guard: () => void): BarStore {
  const where = (query: BarQuery, values: unknown[]): string => {
    const symbols = typeof query.symbol === 'string' ? [query.symbol] : [...query.symbol];
    values.push(symbols);
    let sql = 'symbol = ANY($1::text[])';
    if (query.from !== undefined) {
      values.push(query.from);
      sql += ` AND ts >= ${fromMs(`$${values.length}`)}`;
    }
    if (query.to !== undefined) {
      values.push(query.to);
      sql += ` AND ts < ${fromMs(`$${values.length}`)}`;
    }
    return sql;
  };

  // Serializes this package's ingests into one schema: no deadlocks between overlapping batches, and
  // the anti-join merge below sees every other ingest's rows committed.
  const lockIngest = (client: PoolClient) =>
    client.query("SELECT pg_advisory_xact_lock(hashtext('rxtrade.bars.ingest'), hashtext($1))", [s]);

  const copyIngest = async (client: PoolClient, input: BarInput): Promise<IngestResult> => {
    await client.query(
      `CREATE TEMPORARY TABLE rxtrade_bars_staging (
         symbol text, ts_ms bigint, open numeric, high numeric, low numeric, close numeric, volume numeric
       ) ON COMMIT DROP`,
    );
    const copy = client.query(copyFrom('COPY rxtrade_bars_staging FROM STDIN'));
    const done = once(copy, 'finish');
    // Without a listener, an 'error' from the server would be thrown from the emitter.
    done.catch(() => undefined);
    let received = 0;
    let text = '';
    try {
      for await (const chunk of barChunks(input)) {
        for (const bar of chunk) {
          assertBar(bar, received);
          received++;
          text += `${escapeCopyText(bar.symbol)}\t${bar.ts}\t${numeric(bar.open)}\t${numeric(bar.high)}\t${numeric(bar.low)}\t${numeric(bar.close)}\t${numeric(bar.volume)}\n`;
          if (text.length >= COPY_CHUNK_CHARS) {
            if (!copy.write(text)) await once(copy, 'drain');
            text = '';
          }
        }
      }
      copy.end(text);
      await done;
    } catch (error) {
      // Abort the COPY so the server rolls the statement back; the transaction then rolls back too.
      copy.destroy(error instanceof Error ? error : new Error(String(error)));
      await done.catch(() => undefined);
      throw error;
    }
    return { received, inserted: await mergeStaging(client) };
  };

  /**
   * Moves the staged bars into the table, skipping stored ones. Fast path: an anti-join INSERT
   * without ON CONFLICT (ON CONFLICT's speculative insertion costs about twice as much per row),
   * made safe by the ingest lock. If it
   * still meets a duplicate (one inside the input itself, or a writer outside this package), it
   * rolls back to a savepoint and redoes the merge with ON CONFLICT DO NOTHING.
   */
  const mergeStaging = async (client: PoolClient): Promise<number> => {
    await lockIngest(client);
    const select = `SELECT symbol, ${fromMs('ts_ms')}, open, high, low, close, volume FROM rxtrade_bars_staging`;
    await client.query('SAVEPOINT rxtrade_merge');
    try {
      const result = await client.query(
        `INSERT INTO ${s}.bars (symbol, ts, open, high, low, close, volume) ${select} AS n
         WHERE NOT EXISTS (SELECT 1 FROM ${s}.bars b WHERE b.symbol = n.symbol AND b.ts = ${fromMs('n.ts_ms')})`,
      );
      await client.query('RELEASE SAVEPOINT rxtrade_merge');
      return result.rowCount ?? 0;
    } catch (error) {
      if ((error as { code?: unknown }).code !== '23505') throw error;
      await client.query('ROLLBACK TO SAVEPOINT rxtrade_merge');
      const result = await client.query(
        `INSERT INTO ${s}.bars (symbol, ts, open, high, low, close, volume) ${select} ON CONFLICT DO NOTHING`,
      );
      return result.rowCount ?? 0;
    }
  };

  const insertIngest = async (
    client: PoolClient,
    input: BarInput,
    batchSize: number,
  ): Promise<IngestResult> => {
    await lockIngest(client);
    const statements = new Map<number, string>();
    const statement = (rows: number): string => {
      let sql = statements.get(rows);
      if (sql === undefined) {
        const tuples = Array.from({ length: rows }, (_, r) => {
          const p = r * 7;
          return `($${p + 1}, ${fromMs(`$${p + 2}`)}, $${p + 3}::numeric, $${p + 4}::numeric, $${p + 5}::numeric, $${p + 6}::numeric, $${p + 7}::numeric)`;
        });
        sql = `INSERT INTO ${s}.bars (symbol, ts, open, high, low, close, volume) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`;
        statements.set(rows, sql);
      }
      return sql;
    };
    let received = 0;
    let inserted = 0;
    let values: unknown[] = [];
    const flush = async (): Promise<void> => {
      if (values.length === 0) return;
      const result = await client.query(statement(values.length / 7), values);
      inserted += result.rowCount ?? 0;
      values = [];
    };
    for await (const chunk of barChunks(input)) {
      for (const bar of chunk) {
        assertBar(bar, received);
        received++;
        values.push(
          bar.symbol,
          bar.ts,
          numeric(bar.open),
          numeric(bar.high),
          numeric(bar.low),
          numeric(bar.close),
          numeric(bar.volume),
        );
        if (values.length >= batchSize * 7) await flush();
      }
    }
    await flush();
    return { received, inserted };
  };

  async function* cursorChunks(query: BarQuery, batchSize: number): AsyncGenerator<readonly Bar[]> {
    guard();
    const values: unknown[] = [];
    const sql = `SELECT ${COLUMNS} FROM ${s}.bars WHERE ${where(query, values)} ORDER BY ts, symbol`;
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw adapterError('bars.source', error);
    }
    let broken: Error | undefined;
    const cursor = client.query(new Cursor<Bar>(sql, values, { types: AS_NUMBERS }));
    try {
      for (;;) {
        const rows = await cursor.read(batchSize);
        if (rows.length === 0) return;
        yield rows;
      }
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      throw adapterError('bars.source', error);
    } finally {
      await cursor.close().catch((error: unknown) => {
        broken ??= error instanceof Error ? error : new Error(String(error));
      });
      client.release(broken);
    }
  }

  return {
    async ingest(bars, options = {}) {
      guard();
      const method = options.method ?? 'copy';
      const batchSize = Math.max(1, Math.min(options.batchSize ?? 1_000, 9_000));
      try {
        return await inTransaction(
          () => pool.connect(),
          (client) => (method === 'copy' ? copyIngest(client, bars) : insertIngest(client, bars, batchSize)),
        );
      } catch (error) {
        throw adapterError('bars.ingest', error);
      }
    },
    async range(query) {
      guard();
      const values: unknown[] = [];
      const sql = `SELECT ${COLUMNS} FROM ${s}.bars WHERE ${where(query, values)} ORDER BY ts, symbol`;
      try {
        const result = await pool.query<Bar>({ text: sql, values, types: AS_NUMBERS });
        return result.rows;
      } catch (error) {
        throw adapterError('bars.range', error);
      }
    },
    source(query, options = {}) {
      const batchSize = Math.max(1, options.batchSize ?? 10_000);
      return barSourceFromChunks(() => cursorChunks(query, batchSize));
    },
    async count(symbol) {
      guard();
      try {
        const result = await pool.query<{ n: number }>({
          text:
            symbol === undefined
              ? `SELECT count(*) AS n FROM ${s}.bars`
              : `SELECT count(*) AS n FROM ${s}.bars WHERE symbol = $1`,
          values: symbol === undefined ? [] : [symbol],
          types: AS_NUMBERS,
        });
        return result.rows[0]?.n ?? 0;
      } catch (error) {
        throw adapterError('bars.count', error);
      }
    },
    async last(symbol) {
      guard();
      try {
        const result = await pool.query<Bar>({
          text: `SELECT ${COLUMNS} FROM ${s}.bars WHERE symbol = $1 ORDER BY ts DESC LIMIT 1`,
          values: [symbol],
          types: AS_NUMBERS,
        });
        return result.rows[0];
      } catch (error) {
        throw adapterError('bars.last', error);
      }
    },
  };
}
