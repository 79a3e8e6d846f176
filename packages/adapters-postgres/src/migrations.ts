import { createHash } from 'node:crypto';
import { RxtradeError } from '@rxtrade/core';
import type { Pool } from 'pg';
import { adapterError, inTransaction, quoteSchema } from './sql';

/** One schema change. Shipped migrations are never edited: a change is a new version. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** The SQL, given the quoted schema name. */
  readonly sql: (schema: string) => string;
}

/** The migrations this package ships, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'history',
    sql: (s) => `
CREATE TABLE ${s}.bars (
  symbol text NOT NULL,
  ts timestamptz NOT NULL,
  open numeric NOT NULL,
  high numeric NOT NULL,
  low numeric NOT NULL,
  close numeric NOT NULL,
  volume numeric NOT NULL,
  PRIMARY KEY (symbol, ts)
);

CREATE TABLE ${s}.strategy_runs (
  run_id text PRIMARY KEY,
  strategy_id text NOT NULL,
  mode text NOT NULL CHECK (mode IN ('backtest', 'paper', 'live')),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  params jsonb NOT NULL DEFAULT '{}',
  stats jsonb,
  meta jsonb NOT NULL DEFAULT '{}',
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX strategy_runs_strategy_idx ON ${s}.strategy_runs (strategy_id, started_at DESC);

CREATE TABLE ${s}.orders (
  run_id text NOT NULL REFERENCES ${s}.strategy_runs ON DELETE CASCADE,
  client_order_id text NOT NULL,
  venue_order_id text,
  account_id text NOT NULL,
  strategy_id text NOT NULL,
  instrument_id text NOT NULL,
  side text NOT NULL,
  type text NOT NULL,
  quantity numeric NOT NULL,
  price numeric,
  trigger_price numeric,
  time_in_force text NOT NULL,
  reduce_only boolean NOT NULL,
  post_only boolean NOT NULL,
  status text NOT NULL,
  previous_status text,
  filled_qty numeric NOT NULL,
  leaves_qty numeric NOT NULL,
  avg_px numeric,
  quantity_precision integer NOT NULL,
  trade_ids text[] NOT NULL,
  ts_init timestamptz NOT NULL,
  ts_last timestamptz NOT NULL,
  PRIMARY KEY (run_id, client_order_id)
);

CREATE TABLE ${s}.order_events (
  run_id text NOT NULL REFERENCES ${s}.strategy_runs ON DELETE CASCADE,
  client_order_id text NOT NULL,
  event_key text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  type text NOT NULL,
  account_id text NOT NULL,
  strategy_id text NOT NULL,
  instrument_id text NOT NULL,
  ts_event timestamptz NOT NULL,
  event jsonb NOT NULL,
  PRIMARY KEY (run_id, client_order_id, event_key)
);
CREATE INDEX order_events_run_seq_idx ON ${s}.order_events (run_id, seq);

CREATE TABLE ${s}.fills (
  run_id text NOT NULL REFERENCES ${s}.strategy_runs ON DELETE CASCADE,
  account_id text NOT NULL,
  instrument_id text NOT NULL,
  trade_id text NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  client_order_id text NOT NULL,
  venue_order_id text NOT NULL,
  strategy_id text NOT NULL,
  side text NOT NULL CHECK (side IN ('buy', 'sell')),
  last_qty numeric NOT NULL CHECK (last_qty > 0),
  last_px numeric NOT NULL CHECK (last_px > 0),
  fee numeric NOT NULL,
  fee_currency text NOT NULL,
  liquidity_side text NOT NULL,
  ts_event timestamptz NOT NULL,
  PRIMARY KEY (run_id, account_id, instrument_id, trade_id)
);
CREATE INDEX fills_run_seq_idx ON ${s}.fills (run_id, seq);

CREATE TABLE ${s}.closed_trades (
  run_id text NOT NULL REFERENCES ${s}.strategy_runs ON DELETE CASCADE,
  account_id text NOT NULL,
  strategy_id text NOT NULL,
  symbol text NOT NULL,
  side text NOT NULL CHECK (side IN ('long', 'short')),
  entry_ts timestamptz NOT NULL,
  exit_ts timestamptz NOT NULL,
  entry_px numeric NOT NULL,
  exit_px numeric NOT NULL,
  quantity numeric NOT NULL,
  pnl numeric NOT NULL,
  fees numeric NOT NULL,
  return_pct numeric NOT NULL,
  PRIMARY KEY (run_id, account_id, strategy_id, symbol, entry_ts, exit_ts)
);
`,
  },
];

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Versions applied by this call, oldest first (empty when the schema was up to date). */
  readonly applied: readonly number[];
  /** The schema's version after the call. */
  readonly version: number;
}

const checksum = (migration: Migration): string =>
  createHash('sha256').update(migration.sql('"$schema"')).digest('hex');

/**
 * Brings `schema` up to the newest shipped migration. All pending migrations run in one transaction
 * that first takes an advisory lock on the schema, so two processes starting at once apply each
 * migration exactly once (the second waits, then finds nothing to do). Each applied version is
 * recorded with its checksum in `<schema>.rxtrade_migrations`; an edited shipped migration is
 * refused with `CORRUPT_STATE`. A database newer than this package is left alone.
 */
export async function migrate(
  pool: Pool,
  options: { readonly schema?: string } = {},
): Promise<MigrateResult> {
  const schemaName = options.schema ?? 'rxtrade';
  const s = quoteSchema(schemaName);
  try {
    return await inTransaction(
      () => pool.connect(),
      async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('rxtrade.migrate'), hashtext($1))", [
          schemaName,
        ]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${s}.rxtrade_migrations (
             version integer PRIMARY KEY,
             name text NOT NULL,
             checksum text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now()
           )`,
        );
        const { rows } = await client.query<{ version: number; checksum: string }>(
          `SELECT version, checksum FROM ${s}.rxtrade_migrations ORDER BY version`,
        );
        const done = new Map(rows.map((r) => [r.version, r.checksum]));
        const applied: number[] = [];
        for (const migration of MIGRATIONS) {
          const sum = checksum(migration);
          const recorded = done.get(migration.version);
          if (recorded !== undefined) {
            if (recorded !== sum) {
              throw new RxtradeError({
                code: 'CORRUPT_STATE',
                message: `migration ${migration.version} (${migration.name}) in schema ${schemaName} was applied with different SQL`,
                details: { version: migration.version, recorded, shipped: sum },
              });
            }
            continue;
          }
          await client.query(migration.sql(s));
          await client.query(
            `INSERT INTO ${s}.rxtrade_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
            [migration.version, migration.name, sum],
          );
          applied.push(migration.version);
        }
        const version = Math.max(0, ...done.keys(), ...applied);
        return { applied, version };
      },
    );
  } catch (error) {
    throw adapterError('migrate', error);
  }
}
