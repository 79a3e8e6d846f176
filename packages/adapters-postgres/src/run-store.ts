import { randomUUID } from 'node:crypto';
import { RxtradeError } from '@rxtrade/core';
import type { Pool } from 'pg';
import { z } from 'zod';
import { AS_NUMBERS, adapterError, fromMs, toMs } from './sql';

/** A JSON value as stored in JSONB. Non-finite numbers (NaN, Infinity) are stored as null, as JSON does. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** One run of a strategy: a backtest, or a paper or live session. Trading records hang off its id. */
export interface StrategyRun {
  readonly runId: string;
  readonly strategyId: string;
  readonly mode: 'backtest' | 'paper' | 'live';
  readonly status: 'running' | 'completed' | 'failed';
  /** The strategy's parameters. */
  readonly params: JsonValue;
  /** The run's statistics, once finished. */
  readonly stats: JsonValue | undefined;
  /** Anything else worth keeping (data range, git commit, host, …). */
  readonly meta: JsonValue;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
}

/** Input of {@link RunStore.create}. */
export interface CreateRunInput {
  /** Default: a random UUID. Pass your own to make creation idempotent across retries. */
  readonly runId?: string;
  readonly strategyId: string;
  /** Default `backtest`. */
  readonly mode?: StrategyRun['mode'];
  readonly params?: unknown;
  readonly meta?: unknown;
  /** Epoch ms; default: the database's `now()`. Pass the engine clock's time for backtests. */
  readonly startedAt?: number;
}

/** Input of {@link RunStore.finish}. */
export interface FinishRunInput {
  readonly stats: unknown;
  /** Default `completed`. */
  readonly status?: 'completed' | 'failed';
  /** Epoch ms; default: the database's `now()`. */
  readonly finishedAt?: number;
}

/** Strategy runs and their parameters and statistics. */
export interface RunStore {
  /**
   * Records a run. Idempotent by `runId`: creating an existing run returns it as stored, unchanged.
   * Fills, orders and closed trades reference a run, so create it first.
   */
  create(input: CreateRunInput): Promise<StrategyRun>;
  /** Stores the statistics and final status. Throws `INVALID_ARGUMENT` for an unknown run. */
  finish(runId: string, input: FinishRunInput): Promise<StrategyRun>;
  get(runId: string): Promise<StrategyRun | undefined>;
  /** Newest first. */
  list(options?: { readonly strategyId?: string; readonly limit?: number }): Promise<StrategyRun[]>;
  /** Deletes a run and, by cascade, its orders, events, fills and closed trades. True if it existed. */
  delete(runId: string): Promise<boolean>;
}

const CreateSchema = z.strictObject({
  runId: z.string().min(1).max(256).optional(),
  strategyId: z.string().min(1).max(256),
  mode: z.enum(['backtest', 'paper', 'live']).optional(),
  params: z.unknown().optional(),
  meta: z.unknown().optional(),
  startedAt: z.number().int().nonnegative().optional(),
});
const FinishSchema = z.strictObject({
  stats: z.unknown(),
  status: z.enum(['completed', 'failed']).optional(),
  finishedAt: z.number().int().nonnegative().optional(),
});

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `${what}: ${z.prettifyError(result.error)}`,
      cause: result.error,
    });
  }
  return result.data;
}

/** JSON text for JSONB; throws INVALID_ARGUMENT for what JSON cannot hold (cycles, BigInt). */
function toJson(value: unknown, what: string): string {
  try {
    return JSON.stringify(value ?? {});
  } catch (cause) {
    throw new RxtradeError({
      code: 'INVALID_ARGUMENT',
      message: `${what} is not serializable as JSON`,
      cause,
    });
  }
}

type RunRow = Omit<StrategyRun, 'stats' | 'finishedAt'> & {
  stats: JsonValue | null;
  finishedAt: number | null;
};
const toRun = (row: RunRow): StrategyRun => ({
  ...row,
  stats: row.stats ?? undefined,
  finishedAt: row.finishedAt ?? undefined,
});

export function createRunStore(pool: Pool, s: string, guard: () => void): RunStore {
  const COLUMNS = `run_id AS "runId", strategy_id AS "strategyId", mode, status, params, stats, meta,
    ${toMs('started_at')} AS "startedAt", ${toMs('finished_at')} AS "finishedAt"`;
  const select = async (runId: string): Promise<StrategyRun | undefined> => {
    const result = await pool.query<RunRow>({
      text: `SELECT ${COLUMNS} FROM ${s}.strategy_runs WHERE run_id = $1`,
      values: [runId],
      types: AS_NUMBERS,
    });
    const row = result.rows[0];
    return row === undefined ? undefined : toRun(row);
  };
  const run = async <T>(operation: string, work: () => Promise<T>): Promise<T> => {
    guard();
    try {
      return await work();
    } catch (error) {
      throw adapterError(operation, error);
    }
  };

  return {
    create: (input) =>
      run('runs.create', async () => {
        const data = parse(CreateSchema, input, 'runs.create');
        const runId = data.runId ?? randomUUID();
        await pool.query(
          `INSERT INTO ${s}.strategy_runs (run_id, strategy_id, mode, params, meta, started_at)
           VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, coalesce(${fromMs('$6')}, now()))
           ON CONFLICT (run_id) DO NOTHING`,
          [
            runId,
            data.strategyId,
            data.mode ?? 'backtest',
            toJson(data.params, 'params'),
            toJson(data.meta, 'meta'),
            data.startedAt ?? null,
          ],
        );
        const stored = await select(runId);
        if (!stored)
          throw new RxtradeError({ code: 'ADAPTER_FAILURE', message: `run ${runId} vanished after insert` });
        return stored;
      }),
    finish: (runId, input) =>
      run('runs.finish', async () => {
        const data = parse(FinishSchema, input, 'runs.finish');
        const result = await pool.query(
          `UPDATE ${s}.strategy_runs SET stats = $2::jsonb, status = $3, finished_at = coalesce(${fromMs('$4')}, now())
           WHERE run_id = $1`,
          [runId, toJson(data.stats, 'stats'), data.status ?? 'completed', data.finishedAt ?? null],
        );
        if (result.rowCount === 0) {
          throw new RxtradeError({
            code: 'INVALID_ARGUMENT',
            message: `unknown run ${runId}`,
            details: { runId },
          });
        }
        return (await select(runId)) as StrategyRun;
      }),
    get: (runId) => run('runs.get', () => select(runId)),
    list: (options = {}) =>
      run('runs.list', async () => {
        const limit = Math.max(1, Math.min(options.limit ?? 100, 10_000));
        const result = await pool.query<RunRow>({
          text: `SELECT ${COLUMNS} FROM ${s}.strategy_runs WHERE ($1::text IS NULL OR strategy_id = $1)
                 ORDER BY started_at DESC, run_id LIMIT $2`,
          values: [options.strategyId ?? null, limit],
          types: AS_NUMBERS,
        });
        return result.rows.map(toRun);
      }),
    delete: (runId) =>
      run('runs.delete', async () => {
        const result = await pool.query(`DELETE FROM ${s}.strategy_runs WHERE run_id = $1`, [runId]);
        return (result.rowCount ?? 0) > 0;
      }),
  };
}
