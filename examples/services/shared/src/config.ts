import { HaltLimitsSchema, ManagedAccountSchema, RxtradeError } from '@rxtrade/core';
import { z } from 'zod';

const accountList = z
  .string()
  .default('acc-1:1')
  .transform((s, ctx) => {
    const out: { id: string; weight: number }[] = [];
    for (const part of s
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [id, weight = '1'] = part.split(':');
      const w = Number(weight);
      if (!id || !/^[A-Za-z0-9_-]{1,32}$/.test(id) || !Number.isInteger(w) || w < 1) {
        ctx.addIssue({
          code: 'custom',
          message: `bad account entry ${JSON.stringify(part)} (want id:weight)`,
        });
        return z.NEVER;
      }
      out.push({ id, weight: w });
    }
    return out;
  });

const id = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1 to 32 of A-Z a-z 0-9 _ -');

/**
 * One strategy of the fleet: the user's strategy module (a file relative to the working directory,
 * or a package), which export, its params (validated by the strategy's `paramsSchema` at start-up),
 * and what it trades: each of `symbols` (default: every replayed symbol) for each of `accounts`
 * (default: every account) is one strategy instance, `<id>-<symbol>-<account>`. With `budget`, each
 * instance may use that much of its account's cash (times the account's weight), checked by the
 * risk service with core's budget rule: orders past it are denied `STRATEGY_BUDGET_EXCEEDED`.
 */
const StrategyConfigSchema = z.strictObject({
  id,
  module: z.string().min(1),
  export: z.string().min(1).optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  symbols: z.array(z.string().min(1)).min(1).optional(),
  accounts: z.array(id).min(1).optional(),
  budget: z.number().positive().refine(Number.isFinite, 'must be finite').optional(),
});
export type StrategyConfig = z.output<typeof StrategyConfigSchema>;

/** A variable holding JSON, parsed (unset or blank: undefined), or an issue naming it. */
const parseJson =
  (name: string) =>
  (s: string | undefined, ctx: z.RefinementCtx): unknown => {
    if (s === undefined || s.trim() === '') return undefined;
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${name} is not JSON` });
      return z.NEVER;
    }
  };

const strategies = z
  .string()
  .default(
    '[{"id":"sma","module":"examples/sma-crossover/src/strategy.ts","params":{"fast":10,"slow":30,"quantity":10}}]',
  )
  .transform(parseJson('STRATEGIES'))
  .pipe(
    z
      .array(StrategyConfigSchema)
      .min(1)
      .refine((list) => new Set(list.map((s) => s.id)).size === list.length, 'two strategies share an id'),
  );

/**
 * Signal sizing and equity halts per account, as core's `AccountManager` takes them, for the accounts
 * of `ACCOUNTS` (their cash is `INITIAL_CASH`): `sizing`, `canTrade`, `limits`, `halts`, `venue`.
 * `canTrade.strategies` names `STRATEGIES` ids (each stands for its instances).
 */
const accountManager = z
  .string()
  .optional()
  .transform(parseJson('ACCOUNT_MANAGER'))
  .pipe(
    z
      .strictObject({
        accounts: z.record(id, ManagedAccountSchema.omit({ id: true, initialCash: true })),
        flattenOnHalt: z.boolean().optional(),
        resumeNextDay: z.boolean().optional(),
        /** Refused with a clear message: the fleet splits accounts across risk replicas. */
        total: HaltLimitsSchema.optional(),
      })
      .optional(),
  );
export type AccountManagerConfig = NonNullable<z.output<typeof accountManager>>;

const int = (d: number) => z.coerce.number().int().nonnegative().default(d);

/**
 * Every setting of every service, from the environment, validated once at start-up: a bad value
 * stops the process with a message naming the variable, never a half-configured service.
 */
export const FleetConfigSchema = z.object({
  FLEET_PREFIX: z
    .string()
    .regex(/^[a-z0-9_]{1,40}$/, 'lower-case letters, digits, _')
    .default('dev'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  AMQP_URL: z.string().default('amqp://guest:guest@127.0.0.1:5672'),
  PG_URL: z.string().default('postgres://postgres@127.0.0.1:5432/test'),
  HTTP_PORT: int(0),
  HTTP_HOST: z.string().default('127.0.0.1'),
  /**
   * Port of a second HTTP server that serves only `/metrics` (on `HTTP_HOST`); the main port then no
   * longer serves it, so the public gateway route never exposes metrics. Unset: `/metrics` stays on
   * the main port (local processes). The image sets 9100.
   */
  METRICS_PORT: z.coerce.number().int().nonnegative().max(65_535).optional(),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  BUS_PARTITIONS: z.coerce.number().int().min(1).max(64).default(8),
  /** Data: synthetic symbols derived from the S&P 500 series, or a CSV file (`DATA_CSV`). */
  SYMBOLS: z.coerce.number().int().min(1).max(50).default(5),
  BARS: z.coerce.number().int().min(1).max(5_000).default(2_000),
  DATA_CSV: z.string().optional(),
  /** Milliseconds between bar timestamps in the replay; 0 = as fast as the broker confirms. */
  BAR_INTERVAL_MS: int(0),
  /**
   * Replay pace in bars per second over all symbols, on a fixed schedule (no drift); 0 = off.
   * Overrides `BAR_INTERVAL_MS`. The bar → order latency bench replays at 1,000.
   */
  REPLAY_BARS_PER_SECOND: int(0),
  /**
   * `1`: a live rehearsal — each step is published when the wall clock reaches its bars' timestamp
   * (a bar known at its close: its frame leaves with the next step), bars stamped in the past at
   * once. Overrides `BAR_INTERVAL_MS` and `REPLAY_BARS_PER_SECOND` as the pace.
   */
  REPLAY_AT_BAR_TIME: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  /** Bars per frame (one bus message per symbol); 0 = 1 when paced, 500 when not. Keep it across restarts of one run. */
  REPLAY_FRAME_BARS: int(0),
  /** The data service's /health is 503 when the replay has not moved for this long past its schedule. */
  REPLAY_STALL_MS: z.coerce.number().int().min(100).default(2_000),
  STRATEGIES: strategies,
  /**
   * `barrier` (default): strategies wait for the order service's result where it matters, so fills
   * equal a backtest's; `live`: no barrier (a live venue's pace; fills as they come).
   */
  FLEET_MODE: z.enum(['barrier', 'live']).default('barrier'),
  ACCOUNTS: accountList,
  ACCOUNT_MANAGER: accountManager,
  INITIAL_CASH: z.coerce.number().int().positive().default(100_000),
  MAX_POSITION: z.coerce.number().int().positive().default(1_000_000),
  /** Gateway: per-key token bucket (burst size and sustained requests per second), held in Redis. */
  GATEWAY_RATE_CAPACITY: z.coerce.number().int().min(1).default(50),
  GATEWAY_RATE_PER_SECOND: z.coerce.number().positive().default(20),
  /**
   * Order service: where orders execute. `simulated` (default): core's SimulatedVenue on the replay's
   * bars (paper trading, a backtest's fills). `ccxt`: a real exchange through `@rxtrade/ccxt` behind
   * core's resilient client (timeouts, breaker, retries of safe calls only), reconciled with the
   * exchange whenever an account's desk starts (see `venue.ts`).
   */
  ORDER_VENUE: z.enum(['simulated', 'ccxt']).default('simulated'),
  /** ccxt exchange id (`ORDER_VENUE=ccxt`). Binance spot is the one tested. */
  CCXT_EXCHANGE: z
    .string()
    .regex(/^[a-z0-9]{2,32}$/)
    .default('binance'),
  /** The exchange's sandbox (Binance: the spot testnet). */
  CCXT_SANDBOX: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Points the exchange at a local fake Binance (`@rxtrade/ccxt/testing`) at this URL: tests and demos. */
  CCXT_FAKE_BINANCE_URL: z.url().optional(),
  /** How often the ccxt client polls working orders for fills, ms. */
  CCXT_POLL_MS: z.coerce.number().int().min(50).default(1_000),
  /**
   * A JSON file of each account's venue API key and secret, encrypted (AES-256-GCM,
   * `credentials.ts`): `{ "<accountId>": <record> }`, each record encrypted for purpose
   * `venue:<accountId>` with the key of `RXTRADE_CREDENTIALS_KEY_FILE` (or `_KEY`). Required with
   * `ORDER_VENUE=ccxt`. Write a record with `createCredentialCipher(loadCredentialKeys(env))
   * .encryptJson({ apiKey, secret }, venuePurpose(accountId))` (`venue.ts`).
   */
  VENUE_CREDENTIALS_FILE: z.string().min(1).optional(),
  /**
   * Order service: accounts whose desks this replica rebuilds and reconciles at start, not on their
   * first message (`all`, or ids separated by commas). Set it when one order replica runs (or each
   * replica is given its own accounts): a restarted order service on a live venue then books at once
   * what the venue did while it was down. Never give one account to two replicas.
   */
  ORDER_TAKE_AT_START: z
    .string()
    .regex(/^(all|[A-Za-z0-9_,-]*)$/)
    .default(''),
  /**
   * Order service: a shadow venue — core's simulated venue, with a backtest's defaults, beside each
   * account's venue (`ORDER_VENUE`) on the same bars and orders. Each order's comparison is logged
   * as it settles (`"msg":"shadow order"`); see `ORDER_SHADOW_DIR` for the documents.
   */
  ORDER_SHADOW: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  /** With `ORDER_SHADOW`: when the service stops, each account's document and page go here (`shadow-<account>.json|.html`). */
  ORDER_SHADOW_DIR: z.string().min(1).optional(),
  /** Strategy replica name (logs, consumer names). */
  REPLICA: z.string().default('0'),
});
export type FleetConfig = z.output<typeof FleetConfigSchema>;

/** Parses the environment; throws `INVALID_CONFIG` naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): FleetConfig {
  const result = FleetConfigSchema.safeParse(env);
  if (!result.success) {
    throw new RxtradeError({
      code: 'INVALID_CONFIG',
      message: `invalid service configuration: ${z.prettifyError(result.error)}`,
      cause: result.error,
    });
  }
  return result.data;
}

/** Names derived from the fleet prefix, so several fleets (or test runs) share one broker/Redis/PostgreSQL. */
export function namespace(config: Pick<FleetConfig, 'FLEET_PREFIX'>): {
  exchange: string;
  redisPrefix: string;
  pgSchema: string;
  runId: string;
} {
  const p = config.FLEET_PREFIX;
  return {
    exchange: `rxt-fleet-${p}`,
    redisPrefix: `rxt-fleet:${p}:`,
    pgSchema: `fleet_${p}`,
    runId: `fleet-${p}`,
  };
}
