import { type Logger, RxtradeError } from '@rxtrade/core';
import { Pool } from 'pg';
import { type BarStore, createBarStore } from './bar-store';
import { type MigrateResult, migrate } from './migrations';
import { createRunStore, type RunStore } from './run-store';
import { quoteSchema } from './sql';
import {
  type ClosedTradeStore,
  createClosedTradeStore,
  createFillStore,
  createOrderStore,
  type FillStore,
  type OrderStore,
} from './trade-stores';

interface CommonOptions {
  /** The schema holding the tables. Default `rxtrade`. A lower-case SQL identifier. */
  readonly schema?: string;
  /** Told about errors of idle pooled connections (only for a pool this package created). */
  readonly logger?: Logger;
}

/** Options of {@link createPostgresHistory}: a connection string (a pool is created and owned), or your pool. */
export type PostgresHistoryOptions =
  | (CommonOptions & {
      readonly connectionString: string;
      /** Connections in the created pool. Default 10. */
      readonly poolSize?: number;
    })
  | (CommonOptions & {
      /** Your pool: used, never ended by `close()`. */
      readonly pool: Pool;
    });

/** Trading history in PostgreSQL: bars, strategy runs, orders, fills, closed trades. */
export interface PostgresHistory {
  readonly pool: Pool;
  readonly schema: string;
  readonly bars: BarStore;
  readonly runs: RunStore;
  readonly orders: OrderStore;
  readonly fills: FillStore;
  readonly closedTrades: ClosedTradeStore;
  /** Creates or upgrades the schema (see {@link migrate}). Call once at startup; safe from many processes. */
  migrate(): Promise<MigrateResult>;
  /** Ends the pool if this package created it. Idempotent; afterwards every call throws `CLOSED`. */
  close(): Promise<void>;
}

/**
 * Opens the history store. Prices, quantities and money are NUMERIC columns (exact); they come back
 * as numbers, exactly the ones written (see docs/adapters/postgres.md for the rules at the edge).
 *
 * @example
 * const history = createPostgresHistory({ connectionString: 'postgres://postgres@127.0.0.1:5432/app' });
 * await history.migrate();
 * await history.bars.ingest(sp500Bars);
 * const run = await history.runs.create({ strategyId: 'sma-cross', params });
 * await history.fills.append(run.runId, result.fills);
 * await history.close();
 */
export function createPostgresHistory(options: PostgresHistoryOptions): PostgresHistory {
  const schema = options.schema ?? 'rxtrade';
  const s = quoteSchema(schema);
  let pool: Pool;
  let owned: boolean;
  if ('pool' in options) {
    if (!(options.pool && typeof options.pool.connect === 'function')) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: 'createPostgresHistory: pool must be a pg Pool',
      });
    }
    pool = options.pool;
    owned = false;
  } else {
    if (typeof options.connectionString !== 'string' || options.connectionString.length === 0) {
      throw new RxtradeError({
        code: 'INVALID_CONFIG',
        message: 'createPostgresHistory: pass { connectionString } or { pool }',
      });
    }
    pool = new Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
    // An idle connection dropped by the server emits 'error' on the pool; unhandled, it would crash the process.
    pool.on('error', (error) => options.logger?.warn({ err: error }, 'postgres: idle connection failed'));
    owned = true;
  }

  let closed = false;
  let closing: Promise<void> | undefined;
  const guard = (): void => {
    if (closed) throw new RxtradeError({ code: 'CLOSED', message: 'the Postgres history store is closed' });
  };

  return {
    pool,
    schema,
    bars: createBarStore(pool, s, guard),
    runs: createRunStore(pool, s, guard),
    orders: createOrderStore(pool, s, guard),
    fills: createFillStore(pool, s, guard),
    closedTrades: createClosedTradeStore(pool, s, guard),
    migrate: async () => {
      guard();
      return migrate(pool, { schema });
    },
    close() {
      closed = true;
      closing ??= owned ? pool.end() : Promise.resolve();
      return closing;
    },
  };
}
